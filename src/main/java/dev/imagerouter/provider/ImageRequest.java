package dev.imagerouter.provider;

import java.util.Optional;

/**
 * A normalised generation request, the same whichever provider serves it.
 *
 * @param prompt          the text prompt, never blank
 * @param negativePrompt  what to avoid, or empty
 * @param width           requested output width in pixels (256..2048, a multiple of 8)
 * @param height          requested output height in pixels (256..2048, a multiple of 8)
 * @param n               number of images, 1..4
 * @param quality         {@code low|medium|high|auto}
 * @param style           a Leonardo preset style name such as {@code CINEMATIC}, or empty
 * @param seed            a seed (Leonardo seeds exceed 2^31, hence {@code long}), or empty
 * @param outputFormat    {@code png|jpeg|webp}
 * @param sandboxFaults   the raw {@code X-Sandbox-Fault} header, forwarded to the emulators in sandbox mode only, or empty
 */
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
        Optional<String> sandboxFaults) {

    public ImageRequest {
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("prompt must not be blank");
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, but was " + n);
        }
        negativePrompt = negativePrompt == null ? Optional.empty() : negativePrompt;
        style = style == null ? Optional.empty() : style;
        seed = seed == null ? Optional.empty() : seed;
        sandboxFaults = sandboxFaults == null ? Optional.empty() : sandboxFaults;
    }
}
