package dev.imagerouter.vocabulary;

/**
 * Hears the partial images of a streaming generation as the provider sends them (OpenAI's
 * {@code image_generation.partial_image} events). Called on a provider I/O thread: must not block.
 * A provider that does not stream never calls it.
 */
@FunctionalInterface
public interface PartialImageListener {

    /**
     * @param index  the partial image's 0-based index ({@code partial_image_index})
     * @param base64 the partial image, base64 as the provider sent it (at the provider's size and format)
     * @param format {@code png}, {@code jpeg} or {@code webp}
     */
    void onPartialImage(int index, String base64, String format);

    /** Hears nothing. */
    PartialImageListener NONE = (index, base64, format) -> {
    };
}
