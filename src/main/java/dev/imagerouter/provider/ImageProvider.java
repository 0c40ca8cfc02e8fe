package dev.imagerouter.provider;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.JobListener;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.Unsupported;

import java.util.concurrent.CompletableFuture;

/**
 * One configured provider instance (for example {@code leonardo-phoenix}). Its one job: turn a
 * normalised {@link ImageRequest} into a {@link ProviderResult}, or complete exceptionally with a
 * {@link ProviderFailure}.
 *
 * <p>Implementations never block the calling thread and never retry: the router owns retries,
 * fallbacks, breakers and limits. Thread-safe.
 */
public interface ImageProvider {

    /** The instance name, e.g. {@code leonardo-phoenix}; unique in the configuration. */
    String name();

    /** The provider type, e.g. {@code leonardo} or {@code openai}. */
    String type();

    /** The model this instance asks for. */
    String model();

    /**
     * Starts one generation. The future completes with a result whose images are already fetched,
     * or exceptionally with a {@link ProviderFailure}; any other exception is a bug and is treated
     * as {@code MALFORMED_RESPONSE}.
     *
     * <p>The future covers the generation's whole life, up to its terminal state: the router never
     * cancels it (cancelling would abandon a job that is already paid), so the provider bounds it
     * itself (its HTTP timeouts; Leonardo also its {@code job-max-age}). A failure after the provider
     * accepted a job says so ({@link ProviderFailure#phase()}, {@link ProviderFailure#paid()}).
     */
    CompletableFuture<ProviderResult> generate(ImageRequest request);

    /**
     * As {@link #generate(ImageRequest)}, relaying partial images to {@code partials} when the
     * provider streams them and the request asks for them ({@link ImageRequest#partialImages()} &gt; 0).
     */
    default CompletableFuture<ProviderResult> generate(ImageRequest request, PartialImageListener partials) {
        return generate(request);
    }

    /**
     * As {@link #generate(ImageRequest, PartialImageListener)}, telling {@code jobs} when the provider
     * accepted a paid job (providers without jobs never call it).
     */
    default CompletableFuture<ProviderResult> generate(ImageRequest request, PartialImageListener partials, JobListener jobs) {
        return generate(request, partials);
    }

    /**
     * Whether this provider can serve {@code request} as asked; checked before any call, so that a
     * request one provider cannot serve (a prompt over its length limit, a transparent background
     * it cannot make) skips it instead of failing.
     *
     * @return empty when it can, else why not
     */
    default java.util.Optional<Unsupported> unsupported(ImageRequest request) {
        return java.util.Optional.empty();
    }

    /**
     * What one call for {@code request} is expected to cost, known before the call from the
     * provider's own price list; reserved against its daily budget.
     *
     * @return the expected cost, or empty when the provider has no price in advance (Leonardo: the
     *         router then uses the last cost per image it reported, see {@link BudgetSettings})
     */
    default java.util.Optional<ProviderResult.Cost> expectedCost(ImageRequest request) {
        return java.util.Optional.empty();
    }

    /** Where the account's credit balance can be read, for providers that have one (Leonardo). */
    default java.util.Optional<BalanceSource> balanceSource() {
        return java.util.Optional.empty();
    }

    /** Where the model's availability and shutdown date can be looked up, for providers that publish them (OpenAI). */
    default java.util.Optional<ModelCatalogue> modelCatalogue() {
        return java.util.Optional.empty();
    }

    /**
     * Picks up a job this provider accepted earlier, by its id ({@link JobListener#accepted}), after
     * the router restarted: tracks it to its terminal state like {@link #generate} would have,
     * without creating anything. The job's age bound restarts now.
     *
     * @return the job's result (or failure), or empty when this provider has no jobs to resume
     */
    default java.util.Optional<CompletableFuture<ProviderResult>> resume(ImageRequest request, String jobId) {
        return java.util.Optional.empty();
    }
}
