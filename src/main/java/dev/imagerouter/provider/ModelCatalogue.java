package dev.imagerouter.provider;

import java.time.Duration;
import java.time.LocalDate;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A provider's model list, for the model lifecycle check (OpenAI: {@code GET /v1/models/{id}}; Leonardo v2:
 * {@code GET /api/rest/v2/models}). Thread-safe.
 */
public interface ModelCatalogue {

    /**
     * Looks {@code model} up once.
     *
     * @param timeout how long the lookup may take
     * @return completes with the model's announced shutdown date (empty: none announced), or exceptionally
     *         with a classified {@link dev.imagerouter.vocabulary.ProviderFailure} ({@code MODEL_UNAVAILABLE}
     *         when the model is gone)
     */
    CompletableFuture<Optional<LocalDate>> shutdownDate(String model, Duration timeout);

    /** What an operator does when the model is found gone, for the MODEL_UNAVAILABLE alert (one or two sentences). */
    default String remedy() {
        return "Set a successor model in the provider file and reload";
    }
}
