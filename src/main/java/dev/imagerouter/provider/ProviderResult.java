package dev.imagerouter.provider;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/**
 * What a provider returns on success.
 *
 * @param images       the images, in order, at least one
 * @param model        the model that made them (a Leonardo model id or an OpenAI model name)
 * @param generationId the provider's id for the generation, or empty
 * @param cost         what the provider reported or what we estimate, or empty
 */
public record ProviderResult(List<GeneratedImage> images, String model, Optional<String> generationId, Optional<Cost> cost) {

    public ProviderResult {
        images = List.copyOf(images);
        if (images.isEmpty()) {
            throw new IllegalArgumentException("a provider result needs at least one image");
        }
    }

    /**
     * A cost in a provider's unit.
     *
     * @param amount the amount, never negative
     * @param unit   {@code CREDITS} (Leonardo API credits) or {@code USD}
     */
    public record Cost(BigDecimal amount, String unit) {
        public static final String CREDITS = "CREDITS";
        public static final String USD = "USD";
    }
}
