package dev.imagerouter.sandbox;

import java.math.BigDecimal;

/**
 * A validated Leonardo {@code POST /generations} body (Leonardo WIRE.md §2.1), with the server
 * defaults the emulator applies: {@code num_images} 4, {@code guidance_scale} 7, 15 steps,
 * scheduler {@code EULER_DISCRETE} (WIRE §2.2), and 1024x768 when a dimension is missing (the SDK's
 * default, WIRE §2.2; the real server picks per model). Nullable fields are null when not sent.
 *
 * @param seed null when the request had none; the job then derives one from the prompt
 */
record LeonardoRequest(
        String prompt,
        String negativePrompt,
        String modelId,
        int width,
        int height,
        int numImages,
        Boolean alchemy,
        String presetStyle,
        Long seed,
        BigDecimal guidanceScale,
        int inferenceSteps,
        String scheduler,
        String sdVersion,
        boolean isPublic,
        boolean photoReal,
        BigDecimal photoRealStrength,
        boolean promptMagic,
        BigDecimal promptMagicStrength,
        String promptMagicVersion,
        BigDecimal initStrength,
        BigDecimal contrast) {
}
