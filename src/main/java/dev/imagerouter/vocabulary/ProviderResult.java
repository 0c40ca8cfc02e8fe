package dev.imagerouter.vocabulary;

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
 * @param usage        the provider's token usage (OpenAI's {@code usage}), or empty
 */
public record ProviderResult(List<GeneratedImage> images, String model, Optional<String> generationId, Optional<Cost> cost,
                             Optional<Usage> usage) {

    public ProviderResult {
        images = List.copyOf(images);
        if (images.isEmpty()) {
            throw new IllegalArgumentException("a provider result needs at least one image");
        }
        usage = usage == null ? Optional.empty() : usage;
    }

    /** A result without token usage. */
    public ProviderResult(List<GeneratedImage> images, String model, Optional<String> generationId, Optional<Cost> cost) {
        this(images, model, generationId, cost, Optional.empty());
    }

    /** The same result with other images (after normalising). */
    public ProviderResult withImages(List<GeneratedImage> replaced) {
        return new ProviderResult(replaced, model, generationId, cost, usage);
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

    /**
     * Token usage as OpenAI's Images API reports it ({@code ImagesResponse.usage},
     * shared/specs/openai/GPT-IMAGE-2.md §3); every count is a number of tokens, never negative.
     *
     * @param inputTokens       {@code input_tokens}
     * @param outputTokens      {@code output_tokens} (image output tokens, partial images included)
     * @param totalTokens       {@code total_tokens}
     * @param inputTextTokens   {@code input_tokens_details.text_tokens}
     * @param inputImageTokens  {@code input_tokens_details.image_tokens} (0 for generations)
     */
    public record Usage(long inputTokens, long outputTokens, long totalTokens, long inputTextTokens, long inputImageTokens) {

        /** The sum of two usages (one per call, e.g. over several images). */
        public Usage plus(Usage other) {
            return new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens,
                    totalTokens + other.totalTokens, inputTextTokens + other.inputTextTokens,
                    inputImageTokens + other.inputImageTokens);
        }
    }
}
