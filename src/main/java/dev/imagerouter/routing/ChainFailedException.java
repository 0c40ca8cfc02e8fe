package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The chain produced no image: either a policy row said FAIL (for example CONTENT_REJECTED) or
 * every provider failed or was skipped.
 */
public class ChainFailedException extends RuntimeException {

    /** How the chain ended, which decides what the client is told. */
    public enum Ending {
        /** A policy row said FAIL: {@link #lastFailure()} is the reason. */
        FAILED_BY_POLICY,
        /** Every attempted provider failed with RATE_LIMITED (skips aside). */
        ALL_RATE_LIMITED,
        /** Every provider was skipped or had its circuit open: none was called. */
        ALL_SKIPPED,
        /** Every provider failed otherwise. */
        EXHAUSTED
    }

    private final Ending ending;
    private final List<Attempt> attempts;
    private final transient ProviderFailure lastFailure;
    private final Duration retryAfter;

    public ChainFailedException(Ending ending, List<Attempt> attempts, ProviderFailure lastFailure, Duration retryAfter) {
        super("chain failed: " + ending, null, false, false);
        this.ending = ending;
        this.attempts = List.copyOf(attempts);
        this.lastFailure = lastFailure;
        this.retryAfter = retryAfter;
    }

    public Ending ending() {
        return ending;
    }

    public List<Attempt> attempts() {
        return attempts;
    }

    public Optional<ProviderFailure> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    public Optional<FailureKind> lastKind() {
        return lastFailure().map(ProviderFailure::kind);
    }

    /** When every provider was rate limited: the soonest time worth retrying. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
