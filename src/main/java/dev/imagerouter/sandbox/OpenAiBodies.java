package dev.imagerouter.sandbox;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's success bodies (shared/specs/openai/GPT-IMAGE-2.md).
 * <ul>
 *   <li>generation (§3): {@code ImagesResponse} = {@code created}, {@code background}, {@code output_format},
 *       {@code quality}, {@code size} (resolved, never {@code auto}), {@code data[n]} each only
 *       {@code {"b64_json"}}, {@code usage}, and {@code safety_identifier} when the request carried one</li>
 *   <li>streaming (§4): {@code event: image_generation.partial_image} / {@code image_generation.completed}
 *       lines, each with one {@code data:} JSON whose {@code type} is the event name</li>
 *   <li>model (§6): {@code {"id","object":"model","created","owned_by":"system","shutdown_date"}}</li>
 * </ul>
 *
 * <p><b>Token counts</b> (the emulator's whole usage model, in this one place):
 * <ul>
 *   <li>input: text tokens ≈ ⌈prompt characters / 4⌉, at least 1; image tokens 0 ({@code /generations}
 *       has no input images, §3)</li>
 *   <li>output per image: {@link #OUTPUT_TOKENS}, by quality and shape; × n</li>
 *   <li>streaming: + {@value #PARTIAL_IMAGE_TOKENS} output tokens per partial image (§5, [O])</li>
 * </ul>
 */
final class OpenAiBodies {

    /**
     * Output tokens of one gpt-image-2 image by quality: {square, non-square}. Derived in GPT-IMAGE-2.md
     * §5 from OpenAI's per-image prices at $30 per 1M image output tokens: 1024x1024 low $0.006 ≈ 200,
     * medium $0.053 ≈ 1767, high $0.211 ≈ 7033; 1536x1024 / 1024x1536 low $0.005 ≈ 167, medium
     * $0.041 ≈ 1367, high $0.165 ≈ 5500 (https://developers.openai.com/api/docs/guides/image-generation).
     * OpenAI publishes no formula for other sizes: the emulator uses the square column for square-ish
     * sizes ({@link #squareIsh}) and the other one for the rest.
     */
    static final Map<String, int[]> OUTPUT_TOKENS = Map.of(
            "low", new int[]{200, 167},
            "medium", new int[]{1767, 1367},
            "high", new int[]{7033, 5500});

    /** Extra output tokens of each streamed partial image (GPT-IMAGE-2.md §5: "+100 output tokens each"). */
    static final int PARTIAL_IMAGE_TOKENS = 100;

    /**
     * {@code created} of the model objects (unix seconds): launch dates where GPT-IMAGE-2.md §0 gives
     * one (gpt-image-2: 2026-04-21; 2.5: 2026-09-08), else emulator values.
     */
    private static final Map<String, Long> MODEL_CREATED = Map.of(
            "gpt-image-1", 1_745_366_400L, "gpt-image-1.5", 1_765_843_200L,
            "gpt-image-2", 1_776_729_600L, "gpt-image-2-2026-04-21", 1_776_729_600L,
            "gpt-image-2.5-sunburst", 1_788_825_600L, "gpt-image-2.5-flare", 1_788_825_600L);

    private OpenAiBodies() {
    }

    /**
     * The 200 JSON body. {@code images} holds one encoded image per {@code data} element; an empty
     * list with {@code malformed} gives {@code n} empty objects (the {@code malformed} fault).
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
        Map<String, Object> body = SandboxJson.object();
        body.put("created", createdEpochSeconds);
        body.put("background", r.background());
        body.put("output_format", r.outputFormat());
        body.put("quality", r.quality());
        body.put("size", r.size());
        body.put("data", data);
        body.put("usage", usage(r));
        r.safetyIdentifier().ifPresent(id -> body.put("safety_identifier", id));
        return SandboxJson.bytes(body);
    }

    /**
     * The {@code text/event-stream} body (§4): for each image, its partial images (index 0-based),
     * then its {@code completed} event. Every {@code completed} carries the usage of the whole request
     * (n images and all partials): a client that keeps the last one has the total [?: OpenAI documents
     * one completed event per request only].
     *
     * @param partials per image, its partial images in order
     */
    static byte[] stream(OpenAiRequest r, List<byte[]> images, List<List<byte[]>> partials, long createdEpochSeconds) {
        StringBuilder out = new StringBuilder();
        Map<String, Object> usage = usage(r);
        for (int i = 0; i < images.size(); i++) {
            List<byte[]> mine = partials.get(i);
            for (int p = 0; p < mine.size(); p++) {
                Map<String, Object> e = event("image_generation.partial_image", r, mine.get(p), createdEpochSeconds);
                e.put("partial_image_index", p);
                sse(out, e);
            }
            Map<String, Object> done = event("image_generation.completed", r, images.get(i), createdEpochSeconds);
            done.put("usage", usage);
            r.safetyIdentifier().ifPresent(id -> done.put("safety_identifier", id));
            sse(out, done);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, Object> event(String type, OpenAiRequest r, byte[] image, long created) {
        Map<String, Object> e = SandboxJson.object();
        e.put("type", type);
        e.put("b64_json", Base64.getEncoder().encodeToString(image));
        e.put("created_at", created);
        e.put("size", r.size());
        e.put("quality", r.quality());
        e.put("background", r.background());
        e.put("output_format", r.outputFormat());
        return e;
    }

    private static void sse(StringBuilder out, Map<String, Object> event) {
        out.append("event: ").append(event.get("type")).append('\n')
                .append("data: ").append(SandboxJson.write(event)).append("\n\n");
    }

    /** {@code usage} with its four required keys (§3): input, output, total, input details {text, image}. */
    static Map<String, Object> usage(OpenAiRequest r) {
        int output = outputTokens(r.quality(), r.width(), r.height()) * r.n() + PARTIAL_IMAGE_TOKENS * r.partialImages() * r.n();
        int text = inputTextTokens(r.prompt());
        Map<String, Object> details = SandboxJson.object();
        details.put("text_tokens", text);
        details.put("image_tokens", 0);
        Map<String, Object> usage = SandboxJson.object();
        usage.put("input_tokens", text);
        usage.put("output_tokens", output);
        usage.put("total_tokens", text + output);
        usage.put("input_tokens_details", details);
        return usage;
    }

    /** Output tokens of one image ({@link #OUTPUT_TOKENS}); quality is resolved (low, medium, high). */
    static int outputTokens(String quality, int width, int height) {
        return OUTPUT_TOKENS.get(quality)[squareIsh(width, height) ? 0 : 1];
    }

    /** Long edge at most 1.25 × the short one (1024x1024, 1280x1024 yes; 1536x1024, 2048x1152 no). */
    static boolean squareIsh(int width, int height) {
        return 4L * Math.max(width, height) <= 5L * Math.min(width, height);
    }

    /** Text tokens of a prompt: ⌈characters / 4⌉, at least 1 (OpenAI's rule of thumb of ~4 characters a token). */
    static int inputTextTokens(String prompt) {
        return Math.max(1, (prompt.length() + 3) / 4);
    }

    /** The model object of {@code GET /models/{model}}; {@code shutdownDate} null when none is announced. */
    static byte[] model(String id, LocalDate shutdownDate) {
        Map<String, Object> body = SandboxJson.object();
        body.put("id", id);
        body.put("object", "model");
        body.put("created", MODEL_CREATED.getOrDefault(id, 1_700_000_000L));
        body.put("owned_by", "system");
        body.put("shutdown_date", shutdownDate == null ? null : shutdownDate.toString());
        return SandboxJson.bytes(body);
    }
}
