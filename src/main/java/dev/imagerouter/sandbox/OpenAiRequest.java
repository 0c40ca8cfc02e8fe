package dev.imagerouter.sandbox;

/**
 * A validated OpenAI {@code POST /images/generations} body with every {@code auto} resolved the way
 * the response echoes it (OpenAI WIRE.md §1.2: never {@code auto}): size {@code auto} → 1024x1024,
 * quality {@code auto} → medium, background {@code auto} → opaque; output_format defaults to png.
 *
 * @param model       the requested model ({@code dall-e-2} when absent, the API's default, WIRE §1.1)
 * @param width       resolved width in pixels
 * @param height      resolved height in pixels
 * @param compression output_compression, 0–100 (100 when absent)
 */
record OpenAiRequest(String model, String prompt, int n, int width, int height, String quality, String background,
                     String outputFormat, int compression) {

    /** {@code WxH} as echoed in {@code size}. */
    String size() {
        return width + "x" + height;
    }
}
