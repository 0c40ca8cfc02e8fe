package dev.imagerouter.provider;

import dev.imagerouter.routing.policy.FailureKind;

import java.time.Duration;
import java.util.Optional;

/**
 * A classified failure of one provider call. Thrown (or completed exceptionally) by provider
 * adapters; produced only by a provider's classifier.
 *
 * <p>Messages never contain a provider key or an Authorization header.
 */
public class ProviderFailure extends RuntimeException {

    private final FailureKind kind;
    private final Integer httpStatus;
    private final Duration retryAfter;

    public ProviderFailure(FailureKind kind, String message, Integer httpStatus, Duration retryAfter, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.httpStatus = httpStatus;
        this.retryAfter = retryAfter;
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
