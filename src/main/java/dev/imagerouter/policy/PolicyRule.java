package dev.imagerouter.policy;

import dev.imagerouter.vocabulary.FailureKind;

import java.time.Duration;
import java.util.Objects;

/**
 * One row of the policy table: what to do after a failure of one kind.
 *
 * @param kind          the failure kind this row answers
 * @param action        RETRY, FALLBACK or FAIL
 * @param maxRetries    for RETRY: how many times the same provider is called again (0..10)
 * @param backoff       for RETRY: base delay before a retry
 * @param jitter        for RETRY: relative random spread of the delay, 0.0..1.0 (0.2 = ±20 %)
 * @param retryAfterCap the longest provider {@code Retry-After} honoured, as a retry delay or as the
 *                      provider's cooldown; longer values are capped to this
 * @param alert         whether a failure of this kind raises an operator alert
 * @param logPrompt     whether a failure of this kind logs the prompt (hash and text) at WARN
 * @param waitForAcceptedJob TIMEOUT row only: when the attempt's time runs out while the provider holds an
 *                      accepted (paid) job, keep waiting for that job (up to its job-max-age) instead of
 *                      taking this row's action; default false: the action (fall back) runs at once and
 *                      the job is still tracked to its end, its late image kept
 */
public record PolicyRule(FailureKind kind, PolicyAction action, int maxRetries, Duration backoff, double jitter,
                         Duration retryAfterCap, boolean alert, boolean logPrompt, boolean waitForAcceptedJob) {

    /** A row that does not wait for accepted jobs. */
    public PolicyRule(FailureKind kind, PolicyAction action, int maxRetries, Duration backoff, double jitter,
                      Duration retryAfterCap, boolean alert, boolean logPrompt) {
        this(kind, action, maxRetries, backoff, jitter, retryAfterCap, alert, logPrompt, false);
    }

    public PolicyRule {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(retryAfterCap, "retryAfterCap");
        if (maxRetries < 0 || maxRetries > 10) {
            throw new IllegalArgumentException("max-retries must be between 0 and 10, but was " + maxRetries);
        }
        if (jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("jitter must be between 0.0 and 1.0, but was " + jitter);
        }
        if (backoff.isNegative() || retryAfterCap.isNegative()) {
            throw new IllegalArgumentException("backoff and retry-after-cap must not be negative");
        }
    }

    /** Whether this row asks for a retry at all. */
    public boolean retries() {
        return action == PolicyAction.RETRY && maxRetries > 0;
    }
}
