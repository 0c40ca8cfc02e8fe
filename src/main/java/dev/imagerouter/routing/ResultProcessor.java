package dev.imagerouter.routing;

import dev.imagerouter.provider.ImageRequest;
import dev.imagerouter.provider.ProviderResult;

import java.util.concurrent.CompletableFuture;

/**
 * Checks and transforms a provider's result inside the provider's attempt (for example decoding
 * and normalising every image), so that an image that cannot be used is that provider's failure
 * ({@code MALFORMED_RESPONSE}) and the chain can fall back.
 */
@FunctionalInterface
public interface ResultProcessor {

    /** Completes with the processed result, or exceptionally with a {@code ProviderFailure}. */
    CompletableFuture<ProviderResult> process(ImageRequest request, ProviderResult result);

    /** Leaves results as they are. */
    ResultProcessor NONE = (request, result) -> CompletableFuture.completedFuture(result);
}
