package dev.imagerouter.sandbox;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's success bodies.
 * <ul>
 *   <li>generation: {@code ImagesResponse} = {@code created}, {@code data[n]} each only {@code {"b64_json"}},
 *       {@code background}, {@code output_format}, {@code size}, {@code quality} (resolved, never {@code auto}),
 *       {@code usage} (OpenAI WIRE.md §1.2, §5)</li>
 *   <li>model: {@code {"id","object":"model","created","owned_by"}}</li>
 * </ul>
 */
final class OpenAiBodies {

    /**
     * Output tokens per image by quality and size, for gpt-image-1 (WIRE §1.3, [3P]); used for
     * every model. Rows: low, medium, high; columns: 1024x1024, 1024x1536, 1536x1024.
     */
    private static final Map<String, Map<String, Integer>> OUTPUT_TOKENS = Map.of(
            "low", Map.of("1024x1024", 272, "1024x1536", 408, "1536x1024", 400),
            "medium", Map.of("1024x1024", 1056, "1024x1536", 1584, "1536x1024", 1568),
            "high", Map.of("1024x1024", 4160, "1024x1536", 6240, "1536x1024", 6208));

    /**
     * {@code created} of the model objects (unix seconds). Emulator values near each model's
     * release; the docs give none.
     */
    private static final Map<String, Long> MODEL_CREATED = Map.of(
            "gpt-image-1", 1_745_366_400L, "gpt-image-1.5", 1_765_843_200L, "gpt-image-2", 1_776_729_600L);

    private OpenAiBodies() {
    }

    /**
     * The 200 body. {@code images} holds one encoded image per {@code data} element; an empty list
     * with {@code malformed} gives {@code n} empty objects (the {@code malformed} fault).
     */
    static byte[] images(OpenAiRequest r, List<byte[]> images, boolean malformed, long createdEpochSeconds) {
        List<Object> data = new ArrayList<>(r.n());
        for (int i = 0; i < r.n(); i++) {
            Map<String, Object> item = SandboxJson.object();
            if (!malformed) {
                item.put("b64_json", Base64.getEncoder().encodeToString(images.get(i)));
            }
            data.add(item);
        }
        int output = outputTokens(r.quality(), r.size()) * r.n();
        int text = inputTextTokens(r.prompt());
        Map<String, Object> details = SandboxJson.object();
        details.put("text_tokens", text);
        details.put("image_tokens", 0);
        Map<String, Object> usage = SandboxJson.object();
        usage.put("total_tokens", text + output);
        usage.put("input_tokens", text);
        usage.put("output_tokens", output);
        usage.put("input_tokens_details", details);
        Map<String, Object> body = SandboxJson.object();
        body.put("created", createdEpochSeconds);
        body.put("data", data);
        body.put("background", r.background());
        body.put("output_format", r.outputFormat());
        body.put("size", r.size());
        body.put("quality", r.quality());
        body.put("usage", usage);
        return SandboxJson.bytes(body);
    }

    /** Output tokens of one image (WIRE §1.3). */
    static int outputTokens(String quality, String size) {
        return OUTPUT_TOKENS.get(quality).get(size);
    }

    /**
     * Text tokens of a prompt, approximated as ⌈1.25 × words⌉, at least 1 (WIRE §1.3: "roughly
     * 1.25 × word count").
     */
    static int inputTextTokens(String prompt) {
        String trimmed = prompt.trim();
        int words = trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
        return Math.max(1, (words * 5 + 3) / 4);
    }

    /** The model object of {@code GET /models/{model}}. */
    static byte[] model(String id) {
        Map<String, Object> body = SandboxJson.object();
        body.put("id", id);
        body.put("object", "model");
        body.put("created", MODEL_CREATED.getOrDefault(id, 1_700_000_000L));
        body.put("owned_by", "system");
        return SandboxJson.bytes(body);
    }
}
