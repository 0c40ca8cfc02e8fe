package dev.imagerouter.provider;

/**
 * Makes the adapter for a provider file: the registry of provider types (one entry per type, kept by
 * the wiring). Thread-safe.
 */
@FunctionalInterface
public interface ProviderFactory {

    /**
     * @return a new adapter for {@code config}
     * @throws IllegalArgumentException for a type without an adapter
     */
    ImageProvider create(ProviderConfig config);
}
