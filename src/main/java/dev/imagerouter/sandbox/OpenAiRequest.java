package dev.imagerouter.sandbox;

import java.util.Optional;

/**
 * A validated OpenAI {@code POST /images/generations} body with every {@code auto} resolved the way
 * the response echoes it (GPT-IMAGE-2.md §3: never {@code auto}): size {@code auto} → 1024x1024,
 * quality {@code auto} → medium, background {@code auto} → opaque; output_format defaults to png.
 *
 * @param model            the requested model ({@code dall-e-2} when absent, the API's default, GPT-IMAGE-2.md §1)
 * @param width            resolved width in pixels
 * @param height           resolved height in pixels
 * @param compression      output_compression, 0–100 (100 when absent); applies to jpeg and webp
 * @param stream           whether the answer is a {@code text/event-stream} (§4)
 * @param partialImages    partial images per image while streaming, 0–3
 * @param safetyIdentifier the effective end-user id echoed in the answer: {@code safety_identifier}, or
 *                         {@code user} when that is absent or empty (§1)
 */
record OpenAiRequest(String model, String prompt, int n, int width, int height, String quality, String background,
                     String outputFormat, int compression, boolean stream, int partialImages,
                     Optional<String> safetyIdentifier) {

    /** {@code WxH} as echoed in {@code size}. */
    String size() {
        return width + "x" + height;
    }

    boolean transparent() {
        return "transparent".equals(background);
    }

    SandboxImages.Format format() {
        return switch (outputFormat) {
            case "jpeg" -> SandboxImages.Format.JPEG;
            case "webp" -> SandboxImages.Format.WEBP;
            default -> SandboxImages.Format.PNG;
        };
    }
}
