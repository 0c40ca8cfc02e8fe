package dev.imagerouter.storage;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of the {@code storage-io} pool: workers that may block on the disk (fsync, file
 * writes). Provider responses are also processed on them (the OpenAI transport's callbacks), so a
 * generation is decoded, checked and stored on one thread instead of being handed from pool to pool.
 * {@link #isCurrent()} lets a stage run inline when it is already on such a thread.
 */
public final class StorageThreads {

    private StorageThreads() {
    }

    private static final class StorageThread extends Thread {
        StorageThread(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }

    /** Daemon threads named {@code <prefix>-<n>} that {@link #isCurrent()} recognises. */
    public static ThreadFactory factory(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> new StorageThread(r, prefix + "-" + n.incrementAndGet());
    }

    /** Whether the calling thread is one of these workers (so it may block on the disk). */
    public static boolean isCurrent() {
        return Thread.currentThread() instanceof StorageThread;
    }
}
