package dev.imagerouter.vocabulary;

import java.util.Optional;

/**
 * A normalised generation request, the same whichever provider serves it.
 *
 * @param prompt            the text prompt, never blank
 * @param negativePrompt    what to avoid, or empty
 * @param width             requested output width in pixels (256..3840, a multiple of 8)
 * @param height            requested output height in pixels (256..3840, a multiple of 8)
 * @param n                 number of images, 1..4
 * @param quality           {@code low|medium|high|auto} (DALL·E 3's {@code standard|hd} are mapped before)
 * @param style             a Leonardo preset style name such as {@code CINEMATIC}, or empty; never sent to OpenAI
 * @param seed              a seed (Leonardo seeds exceed 2^31, hence {@code long}), or empty
 * @param outputFormat      {@code png|jpeg|webp}
 * @param background        {@code auto|opaque|transparent}
 * @param moderation        {@code auto|low}: OpenAI's moderation strictness (Leonardo has no such setting)
 * @param outputCompression 0..100, the encoder's quality for {@code jpeg|webp}, or empty (the router's default)
 * @param safetyIdentifier  the caller's end-user id ({@code safety_identifier}, or the older {@code user}),
 *                          passed to OpenAI only; never part of the request hash
 * @param partialImages     0..3: partial images a streaming caller wants relayed (OpenAI only); never
 *                          part of the request hash
 * @param sandboxFaults     the raw {@code X-Sandbox-Fault} header, forwarded to the emulators in sandbox mode only, or empty
 */
@io.micronaut.serde.annotation.Serdeable
public record ImageRequest(
        String prompt,
        Optional<String> negativePrompt,
        int width,
        int height,
        int n,
        String quality,
        Optional<String> style,
        Optional<Long> seed,
        String outputFormat,
        String background,
        String moderation,
        Optional<Integer> outputCompression,
        Optional<String> safetyIdentifier,
        int partialImages,
        Optional<String> sandboxFaults) {

    public static final String BACKGROUND_AUTO = "auto";
    public static final String BACKGROUND_OPAQUE = "opaque";
    public static final String BACKGROUND_TRANSPARENT = "transparent";
    public static final String MODERATION_AUTO = "auto";

    @io.micronaut.core.annotation.Creator
    public ImageRequest {
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("prompt must not be blank");
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, but was " + n);
        }
        if (partialImages < 0 || partialImages > 3) {
            throw new IllegalArgumentException("partialImages must be 0..3, but was " + partialImages);
        }
        negativePrompt = negativePrompt == null ? Optional.empty() : negativePrompt;
        style = style == null ? Optional.empty() : style;
        seed = seed == null ? Optional.empty() : seed;
        background = background == null ? BACKGROUND_AUTO : background;
        moderation = moderation == null ? MODERATION_AUTO : moderation;
        outputCompression = outputCompression == null ? Optional.empty() : outputCompression;
        safetyIdentifier = safetyIdentifier == null ? Optional.empty() : safetyIdentifier;
        sandboxFaults = sandboxFaults == null ? Optional.empty() : sandboxFaults;
    }

    /** A request with the defaults of every field added for gpt-image-2 (background auto, moderation auto, ...). */
    public ImageRequest(String prompt, Optional<String> negativePrompt, int width, int height, int n, String quality,
                        Optional<String> style, Optional<Long> seed, String outputFormat, Optional<String> sandboxFaults) {
        this(prompt, negativePrompt, width, height, n, quality, style, seed, outputFormat, BACKGROUND_AUTO, MODERATION_AUTO,
                Optional.empty(), Optional.empty(), 0, sandboxFaults);
    }

    /** This request asking for {@code partialImages} streamed partial images. */
    public ImageRequest withPartialImages(int count) {
        return new ImageRequest(prompt, negativePrompt, width, height, n, quality, style, seed, outputFormat, background,
                moderation, outputCompression, safetyIdentifier, count, sandboxFaults);
    }
}
