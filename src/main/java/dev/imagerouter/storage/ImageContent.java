package dev.imagerouter.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * A stored image opened for reading: its size and a stream of its bytes, read from the disk or the
 * bucket as the caller reads (never buffered whole here). The caller closes it: for the bucket that
 * returns the HTTP connection to the pool, or aborts it when the stream was not read to the end.
 *
 * @param size   the image's size in bytes (the {@code Content-Length} to send)
 * @param stream the bytes
 */
public record ImageContent(long size, InputStream stream) implements Closeable {

    public ImageContent {
        Objects.requireNonNull(stream, "stream");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative, but was " + size);
        }
    }

    @Override
    public void close() throws IOException {
        stream.close();
    }
}
