package dev.imagerouter.sandbox;

import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

/**
 * Validates an OpenAI {@code POST /images/generations} body per OpenAI WIRE.md §5, in this order:
 * body a JSON object → no unknown keys ({@code response_format}, {@code style} and anything not in
 * {@link #KNOWN} → 400 {@code unknown_parameter}) → model served (else 404 {@code model_not_found})
 * → prompt present and ≤ 32000 chars → n 1..10 → size, quality, background, output_format,
 * moderation in their enums → output_compression 0..100 → partial_images 0..3 → transparent
 * background needs png/webp [?] → {@code stream: true} is refused (the emulator does not stream).
 * {@code null} counts as absent. Failures are thrown as {@link EmulatorException}. Stateless.
 */
final class OpenAiValidator {

    /** Keys accepted for GPT image models (WIRE §1.1); DALL·E-only {@code response_format} and {@code style} are not among them. */
    static final Set<String> KNOWN = Set.of("model", "prompt", "n", "size", "quality", "background", "output_format",
            "output_compression", "moderation", "user", "stream", "partial_images");

    static final List<String> SIZES = List.of("1024x1024", "1024x1536", "1536x1024", "auto");
    static final List<String> QUALITIES = List.of("low", "medium", "high", "auto");
    static final List<String> BACKGROUNDS = List.of("transparent", "opaque", "auto");
    static final List<String> FORMATS = List.of("png", "jpeg", "webp");
    static final List<String> MODERATIONS = List.of("low", "auto");
    static final int MAX_PROMPT = 32_000;

    private OpenAiValidator() {
    }


    /** The model a body asks for, {@code dall-e-2} when absent or not a string. */
    static String modelOf(JsonNode json) {
        JsonNode model = json == null ? null : json.get("model");
        return model != null && model.isString() ? model.getStringValue() : "dall-e-2";
    }

    static OpenAiRequest validate(JsonMapper mapper, String body, Set<String> availableModels) {
        JsonNode json = SandboxJson.parseObject(mapper, body);
        if (json == null) {
            throw new EmulatorException(OpenAiErrors.invalidJson());
        }
        for (var e : json.entries()) {
            if (!KNOWN.contains(e.getKey())) {
                throw new EmulatorException(OpenAiErrors.unknownParameter(e.getKey()));
            }
        }
        String model = string(json, "model", "dall-e-2");
        if (!availableModels.contains(model)) {
            throw new EmulatorException(OpenAiErrors.modelNotFound(model));
        }
        String prompt = string(json, "prompt", null);
        if (prompt == null) {
            throw new EmulatorException(OpenAiErrors.missingParameter("prompt"));
        }
        if (prompt.length() > MAX_PROMPT) {
            throw new EmulatorException(OpenAiErrors.stringTooLong("prompt", MAX_PROMPT, prompt.length()));
        }
        int n = integer(json, "n", 1, 1, 10);
        String size = oneOf(json, "size", SIZES, "auto");
        String quality = oneOf(json, "quality", QUALITIES, "auto");
        String background = oneOf(json, "background", BACKGROUNDS, "auto");
        String format = oneOf(json, "output_format", FORMATS, "png");
        oneOf(json, "moderation", MODERATIONS, "auto");
        string(json, "user", null);
        int compression = integer(json, "output_compression", 100, 0, 100);
        integer(json, "partial_images", 0, 0, 3);
        if ("transparent".equals(background) && "jpeg".equals(format)) {
            throw new EmulatorException(OpenAiErrors.unsupported("background",
                    "Transparent background requires output_format 'png' or 'webp', but got 'jpeg'."));
        }
        JsonNode stream = json.get("stream");
        if (stream != null && !stream.isNull()) {
            if (!stream.isBoolean()) {
                throw new EmulatorException(OpenAiErrors.invalidType("stream", "a boolean", typeName(stream)));
            }
            if (stream.getBooleanValue()) {
                throw new EmulatorException(OpenAiErrors.unsupported("stream", "The sandbox emulator does not stream; send stream: false."));
            }
        }
        String resolvedSize = "auto".equals(size) ? "1024x1024" : size;
        int x = resolvedSize.indexOf('x');
        return new OpenAiRequest(model, prompt, n, Integer.parseInt(resolvedSize.substring(0, x)),
                Integer.parseInt(resolvedSize.substring(x + 1)), "auto".equals(quality) ? "medium" : quality,
                "auto".equals(background) ? "opaque" : background, format, compression);
    }

    private static String string(JsonNode json, String key, String fallback) {
        JsonNode v = json.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isString()) {
            throw new EmulatorException(OpenAiErrors.invalidType(key, "a string", typeName(v)));
        }
        return v.getStringValue();
    }

    private static String oneOf(JsonNode json, String key, List<String> allowed, String fallback) {
        String s = string(json, key, fallback);
        if (!allowed.contains(s)) {
            throw new EmulatorException(OpenAiErrors.invalidValue(key, s, allowed));
        }
        return s;
    }

    private static int integer(JsonNode json, String key, int fallback, int min, int max) {
        JsonNode v = json.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || !integral(v.getBigDecimalValue())) {
            throw new EmulatorException(OpenAiErrors.invalidType(key, "an integer", typeName(v)));
        }
        BigDecimal d = v.getBigDecimalValue();
        long value = d.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0 ? Long.MAX_VALUE
                : d.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) < 0 ? Long.MIN_VALUE : d.longValue();
        if (value < min || value > max) {
            throw new EmulatorException(OpenAiErrors.integerOutOfRange(key, value, min, max));
        }
        return (int) value;
    }

    private static boolean integral(BigDecimal d) {
        return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
    }

    private static String typeName(JsonNode v) {
        if (v.isString()) {
            return "a string";
        } else if (v.isBoolean()) {
            return "a boolean";
        } else if (v.isNumber()) {
            return integral(v.getBigDecimalValue()) ? "an integer" : "a decimal";
        } else if (v.isArray()) {
            return "an array";
        }
        return "an object";
    }
}
