package dev.imagerouter.vocabulary;


import java.time.Duration;
import java.util.Optional;

/**
 * A classified failure of one provider call. Thrown (or completed exceptionally) by provider
 * adapters; produced only by a provider's classifier.
 *
 * <p>Messages never contain a provider key or an Authorization header.
 */
public class ProviderFailure extends RuntimeException {

    /**
     * Where in a generation's life the failure happened. The router retries (policy RETRY) only
     * {@link #BEFORE_ACCEPT}: after accept the provider holds a paid job that must not be created twice.
     */
    public enum Phase {
        /** The provider refused or never got the request (an error answer, connection refused): nothing was created. */
        BEFORE_ACCEPT,
        /** The request was sent and no answer came (read timeout, reset): a job may exist and be paid. */
        AMBIGUOUS,
        /** The provider had accepted a job (e.g. Leonardo gave a generationId) when it failed. */
        ACCEPTED
    }

    private final FailureKind kind;
    private final Integer httpStatus;
    private final Duration retryAfter;
    private final Phase phase;
    private final boolean paid;
    private final ProviderResult.Cost cost;

    public ProviderFailure(FailureKind kind, String message, Integer httpStatus, Duration retryAfter, Throwable cause) {
        this(kind, message, httpStatus, retryAfter, cause, Phase.BEFORE_ACCEPT, false, null);
    }

    private ProviderFailure(FailureKind kind, String message, Integer httpStatus, Duration retryAfter, Throwable cause,
                            Phase phase, boolean paid, ProviderResult.Cost cost) {
        super(message, cause, false, false);
        this.kind = kind;
        this.httpStatus = httpStatus;
        this.retryAfter = retryAfter;
        this.phase = phase;
        this.paid = paid;
        this.cost = cost;
    }

    /** This failure, as one that happened after the provider accepted a job. */
    public ProviderFailure accepted(boolean paid, Optional<ProviderResult.Cost> cost) {
        return new ProviderFailure(kind, getMessage(), httpStatus, retryAfter, getCause(), Phase.ACCEPTED, paid, cost.orElse(null));
    }

    /** This failure, as one whose request was sent without an answer (a job may exist). */
    public ProviderFailure ambiguous() {
        return new ProviderFailure(kind, getMessage(), httpStatus, retryAfter, getCause(), Phase.AMBIGUOUS, false, null);
    }

    /** Where in the generation's life it failed; {@link Phase#BEFORE_ACCEPT} unless the provider said otherwise. */
    public Phase phase() {
        return phase;
    }

    /** Whether the provider charged for the failed generation (an accepted job that did not end FAILED). */
    public boolean paid() {
        return paid;
    }

    /** What the paid job cost, when {@link #paid()} and the provider reported it. */
    public Optional<ProviderResult.Cost> cost() {
        return Optional.ofNullable(cost);
    }

    public ProviderFailure(FailureKind kind, String message, Integer httpStatus) {
        this(kind, message, httpStatus, null, null);
    }

    public ProviderFailure(FailureKind kind, String message) {
        this(kind, message, null, null, null);
    }

    public FailureKind kind() {
        return kind;
    }

    /** The HTTP status the provider answered with, if any. */
    public Optional<Integer> httpStatus() {
        return Optional.ofNullable(httpStatus);
    }

    /** The provider's {@code Retry-After}, already parsed (seconds or HTTP-date form), if it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
