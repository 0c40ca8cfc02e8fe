package dev.imagerouter.cluster;

/**
 * A shared operation could not run: Redis is down, did not answer within {@code router.redis.timeout},
 * or answered an error. The caller falls back to this replica's own state; the fallback has already
 * been counted ({@code image_router_redis_fallbacks_total}). Never reaches a client.
 */
public final class SharedStateUnavailableException extends RuntimeException {

    private final SharedOperation operation;

    public SharedStateUnavailableException(SharedOperation operation, String message, Throwable cause) {
        super(operation.tag() + ": " + message, cause, false, false);
        this.operation = operation;
    }

    /** The operation that fell back. */
    public SharedOperation operation() {
        return operation;
    }
}
