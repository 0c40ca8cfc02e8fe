package dev.imagerouter.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How the image store makes a write durable: forcing a written file, and forcing a directory so that
 * a file created or renamed into it survives a crash. The seam exists so tests can record the
 * calls and their order, or make them fail like a broken disk; production uses {@link #DEFAULT}.
 *
 * <p>Why our own code: the JDK forces files ({@link FileChannel#force(boolean)}) but has no call
 * that forces a directory. On Linux a directory can be opened read-only as a {@code FileChannel}
 * and forced, which is an {@code fsync(2)} of the directory: that is what {@link #DEFAULT} does.
 * Without it a rename can be lost to a power cut after the image's URL was handed out (ext4 and
 * XFS only promise a renamed file's name once its directory is synced). Other systems (Windows)
 * refuse to open a directory; this service targets Linux.
 *
 * <p>Implementations are thread-safe and blocking: call them off the event loop.
 */
public interface FileSync {

    /**
     * Forces {@code channel}'s content and metadata to the storage device ({@code fsync(2)}).
     *
     * @param channel an open, written channel of {@code file}
     * @param file    the file the channel writes (for recording and error messages)
     * @throws IOException when the device reports an error: the data may not be durable
     */
    void force(FileChannel channel, Path file) throws IOException;

    /**
     * Forces a directory's entries (files created, renamed or deleted in it) to the storage device.
     *
     * @param directory an existing directory
     * @throws IOException when it cannot be opened or the device reports an error
     */
    void forceDirectory(Path directory) throws IOException;

    /** {@code FileChannel.force(true)} on the file; the directory opened read-only and forced the same way. */
    FileSync DEFAULT = new FileSync() {
        @Override
        public void force(FileChannel channel, Path file) throws IOException {
            channel.force(true);
        }

        @Override
        public void forceDirectory(Path directory) throws IOException {
            try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
                channel.force(true);
            }
        }

        @Override
        public String toString() {
            return "FileSync.DEFAULT";
        }
    };
}
