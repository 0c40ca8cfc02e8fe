package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;

import dev.imagerouter.vocabulary.ProviderResult;

import java.util.List;

/**
 * A successful chain walk.
 *
 * @param provider the instance that produced the images
 * @param result   its result
 * @param attempts the whole trail, in order, ending with the successful attempt
 */
public record RoutingResult(String provider, ProviderResult result, List<Attempt> attempts) {

    public RoutingResult {
        attempts = List.copyOf(attempts);
    }
}
