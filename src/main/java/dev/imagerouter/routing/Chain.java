package dev.imagerouter.routing;

import java.util.List;
import java.util.Optional;

/**
 * An immutable snapshot of the chain: the providers in the order they are tried. A request walks
 * the snapshot it started with, so a reload never changes a request in flight.
 */
public record Chain(List<ProviderHandle> providers, long version) {

    public Chain {
        providers = List.copyOf(providers);
    }

    public Optional<ProviderHandle> find(String name) {
        return providers.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public List<String> names() {
        return providers.stream().map(ProviderHandle::name).toList();
    }
}
