package dev.imagerouter.routing;

import java.time.Duration;

/**
 * The router is draining for a shutdown: this request would start a provider call (or a new
 * asynchronous job), and nothing new that costs money starts now. The API answers 503
 * {@code shutting_down} with {@code Retry-After}; another instance, or this one after its restart,
 * serves the retry.
 */
public final class ShuttingDownException extends RuntimeException {

    private final Duration retryAfter;

    public ShuttingDownException(String message, Duration retryAfter) {
        super(message, null, false, false);
        this.retryAfter = retryAfter;
    }

    /** How long the client should wait before retrying. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
