package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyRule;

/**
 * Observes the chain walk: metrics, alerts, credit and cost tracking are listeners, never inline
 * calls in the router. Methods are called on whatever thread completed the step (often an I/O
 * thread): implementations must be fast, thread-safe and must not throw (exceptions are logged and
 * ignored).
 */
public interface RoutingListener {

    /** After every attempt, including skipped ones. {@code failure} is null on success and for skips. */
    default void onAttempt(ProviderHandle provider, Attempt attempt, ProviderFailure failure, PolicyRule rule) {
    }

    /** When the router leaves {@code from} for {@code to} ({@code "none"} when the chain is exhausted). */
    default void onFallback(String from, String to, FailureKind kind) {
    }

    /** After a provider produced a result (before storage). */
    default void onSuccess(ProviderHandle provider, ImageRequest request, ProviderResult result) {
    }

    /**
     * Once per paid generation, when its fate is known: a result that came back in time, a late
     * result of an accepted job whose attempt had timed out, or an accepted job that failed after
     * it was paid (download, normalisation, job-max-age). Not for calls that were not paid (refused,
     * failed before accept, Leonardo jobs that ended FAILED).
     *
     * @param cost what the provider reported the generation cost, or empty when it reported nothing
     * @param used whether its images reached a client or the result cache
     */
    default void onPaid(ProviderHandle provider, ImageRequest request, java.util.Optional<ProviderResult.Cost> cost,
                        boolean used) {
    }

    /**
     * A queued walk (an asynchronous job) stopped waiting for {@code provider}'s permits.
     *
     * @param nanos   how long it waited
     * @param outcome {@code admitted} (it got a slot and a permit), {@code expired} ({@code router.jobs.max-wait}
     *                passed: the provider is skipped) or {@code cancelled}
     */
    default void onQueueWait(ProviderHandle provider, long nanos, String outcome) {
    }
}
