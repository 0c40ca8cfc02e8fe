package dev.imagerouter.storage;

import io.micronaut.context.annotation.Context;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * On shutdown, lets the storage-io workers finish what they hold (an image being written and
 * forced or PUT to the bucket, a record) before the process exits, for at most {@link #GRACE}: those
 * images were paid for. The workers are daemon threads, so without this wait the JVM could stop in the
 * middle of a write (the atomic rename keeps a half-written file out of the store, and a bucket never
 * shows half a PUT, but the image would be lost). Only then is the image store closed (a bucket's
 * connection pool), which is why the store's bean has no destroy method of its own. Created with the
 * context, so it is destroyed after the HTTP server has stopped taking requests.
 */
@Context
public class StorageShutdown {

    /** Longest wait for in-flight store work at shutdown: a few fsyncs under load take 10–20 ms each. */
    static final Duration GRACE = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(StorageShutdown.class);

    private final ExecutorService storageIo;
    private final ImageStore store;

    public StorageShutdown(@Named("storage-io") ExecutorService storageIo, ImageStore store) {
        this.storageIo = storageIo;
        this.store = store;
    }

    @PreDestroy
    void drain() {
        storageIo.shutdown();
        try {
            if (!storageIo.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("storage work still running after {} at shutdown; stopping without it", GRACE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            store.close();
        }
    }
}
