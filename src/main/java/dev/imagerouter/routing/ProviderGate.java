package dev.imagerouter.routing;

import java.util.Optional;

/**
 * Decides, before a call, that the router should pass over a provider (credits below the floor,
 * daily budget spent, model known to be gone). Implementations are beans; fast and thread-safe.
 */
public interface ProviderGate {

    /** A short reason such as {@code CREDITS} when the provider must be skipped now, else empty. */
    Optional<String> skipReason(ProviderHandle provider);
}
