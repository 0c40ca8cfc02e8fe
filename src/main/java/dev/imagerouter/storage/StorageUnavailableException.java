package dev.imagerouter.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;

/**
 * The image store cannot keep what a generation would pay for: its writability probe fails, or an
 * image an answer needs is not in the store. The API answers 503 {@code storage_unavailable} with
 * {@code Retry-After} (whole seconds, at least 1, rounded up from {@link #retryAfter()}).
 * An {@link UncheckedIOException}, so the handler of store write failures answers it too.
 */
public final class StorageUnavailableException extends UncheckedIOException {

    private final Duration retryAfter;

    /**
     * @param message    what is unavailable (no secrets; may name a file of the store)
     * @param retryAfter when a retry may succeed, e.g. the probe interval
     */
    public StorageUnavailableException(String message, Duration retryAfter) {
        super(message, new IOException(message));
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** When a retry may succeed. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
