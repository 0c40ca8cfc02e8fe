package dev.imagerouter.routing;

import dev.imagerouter.provider.ImageRequest;
import dev.imagerouter.provider.ProviderFailure;
import dev.imagerouter.provider.ProviderResult;
import dev.imagerouter.routing.policy.FailureKind;
import dev.imagerouter.routing.policy.PolicyRule;

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
}
