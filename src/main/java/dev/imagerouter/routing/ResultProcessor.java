package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderResult;

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

    /**
     * A result that arrived after its attempt had timed out (an accepted job that finished late),
     * already through {@link #process}. The default drops it.
     *
     * @param provider the provider instance that made it
     * @return whether its images were used: stored and made the cached result of the request
     */
    default CompletableFuture<Boolean> late(String provider, ImageRequest request, ProviderResult result) {
        return CompletableFuture.completedFuture(false);
    }

    /** Leaves results as they are. */
    ResultProcessor NONE = (request, result) -> CompletableFuture.completedFuture(result);
}
