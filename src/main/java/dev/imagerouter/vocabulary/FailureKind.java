package dev.imagerouter.vocabulary;

/**
 * Why one attempt at one provider did not produce an image.
 *
 * <p>Only a provider's classifier turns raw HTTP statuses, bodies and SDK exceptions into a
 * failure kind; everything downstream (policy table, circuit breaker, metrics, alerts) reads
 * the kind only. {@link #CIRCUIT_OPEN} and {@link #SKIPPED} describe providers the router
 * passed over without calling them.
 */
public enum FailureKind {
    /** HTTP 429 meaning "slow down" (not a quota problem). */
    RATE_LIMITED(true),
    /** HTTP 5xx. */
    SERVER_ERROR(true),
    /** No result within the provider's timeout (create + poll for Leonardo). */
    TIMEOUT(true),
    /** Leonardo job reached status {@code FAILED}. */
    GENERATION_FAILED(false),
    /** The provider's moderation refused the prompt or the output. */
    CONTENT_REJECTED(false),
    /** Out of credits or billing quota ("not enough api tokens", {@code insufficient_quota}). */
    QUOTA_EXHAUSTED(false),
    /** HTTP 401/403: the key is missing, wrong or not allowed. */
    AUTH_FAILED(false),
    /** The configured model does not exist (any more) for this key. */
    MODEL_UNAVAILABLE(false),
    /** Any other 4xx: the provider does not accept this request. */
    INVALID_REQUEST(false),
    /** Connection refused or reset, DNS failure. */
    NETWORK(true),
    /** Unparsable body, a job with no images, an image that could not be fetched or decoded. */
    MALFORMED_RESPONSE(true),
    /** The provider's circuit breaker was open: not called. */
    CIRCUIT_OPEN(false),
    /** Passed over by the router (credits below the floor, budget spent, bulkhead or rate limiter full, model unavailable). */
    SKIPPED(false);

    private final boolean unhealthy;

    FailureKind(boolean unhealthy) {
        this.unhealthy = unhealthy;
    }

    /**
     * Whether this kind says the provider itself is unhealthy and so counts against its circuit
     * breaker by default. A moderation refusal or a bad request says nothing about health.
     */
    public boolean signalsUnhealthyProvider() {
        return unhealthy;
    }

    /** Whether a real call was made for an attempt of this kind (false for CIRCUIT_OPEN and SKIPPED). */
    public boolean isCallOutcome() {
        return this != CIRCUIT_OPEN && this != SKIPPED;
    }
}
