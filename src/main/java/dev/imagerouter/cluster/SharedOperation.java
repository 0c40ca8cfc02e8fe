package dev.imagerouter.cluster;

/**
 * The kinds of state replicas share through Redis: the {@code operation} tag of
 * {@code image_router_redis_fallbacks_total} (a closed set, so the tag stays low-cardinality).
 */
public enum SharedOperation {
    /** Single flight by request hash and the result index ({@code cache}). */
    SINGLE_FLIGHT("single_flight"),
    /** Providers' account-wide rate limits and concurrency slots ({@code routing}). */
    PROVIDER_LIMITS("provider_limits"),
    /** Per-client requests per minute and images per day ({@code api}). */
    CLIENT_LIMITS("client_limits"),
    /** {@code Idempotency-Key}s ({@code cache}). */
    IDEMPOTENCY_KEYS("idempotency_keys"),
    /** Today's spend and reservations against the daily budgets ({@code credits}). */
    SPEND("spend"),
    /** The last credit balance and the lease of the replica that checks it ({@code credits}). */
    CREDIT_BALANCE("credit_balance"),
    /** Asynchronous jobs and their queue ({@code jobs}). */
    JOBS("jobs");

    private final String tag;

    SharedOperation(String tag) {
        this.tag = tag;
    }

    /** The metric tag value, e.g. {@code single_flight}. */
    public String tag() {
        return tag;
    }
}
