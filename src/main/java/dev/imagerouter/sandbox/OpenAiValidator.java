package dev.imagerouter.sandbox;

import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validates an OpenAI {@code POST /images/generations} body per GPT-IMAGE-2.md §1–§2, in this order:
 * body a JSON object → no unknown keys ({@code response_format}, {@code style} and anything not in
 * {@link #KNOWN} → 400 {@code unknown_parameter}) → model served (else 404 {@code model_not_found})
 * → prompt present and ≤ 32000 chars → n 1..10 → size ({@link #checkSize}) → quality, background,
 * output_format, moderation in their enums → safety_identifier, user strings → output_compression
 * 0..100 → partial_images 0..3 → stream a boolean → transparent background needs png/webp [?] and
 * {@link SandboxSettings#openaiTransparent()}. {@code null} counts as absent. Failures are thrown as
 * {@link EmulatorException}. Stateless.
 */
final class OpenAiValidator {

    /** Keys accepted for GPT image models (§1); DALL·E-only {@code response_format} and {@code style} are not among them. */
    static final Set<String> KNOWN = Set.of("model", "prompt", "n", "size", "quality", "background", "output_format",
            "output_compression", "moderation", "user", "safety_identifier", "stream", "partial_images");

    static final List<String> QUALITIES = List.of("low", "medium", "high", "auto");
    static final List<String> BACKGROUNDS = List.of("transparent", "opaque", "auto");
    static final List<String> FORMATS = List.of("png", "jpeg", "webp");
    static final List<String> MODERATIONS = List.of("low", "auto");
    static final int MAX_PROMPT = 32_000;

    /** gpt-image-2 size rules (§1, [O] O1): edges multiples of 16, edge ≤ 3840, long:short ≤ 3:1, pixels in range. */
    static final int SIZE_STEP = 16;
    static final int MAX_EDGE = 3840;
    static final int MAX_RATIO = 3;
    static final long MIN_PIXELS = 655_360;
    static final long MAX_PIXELS = 8_294_400;
    private static final Pattern WXH = Pattern.compile("(\\d{1,6})x(\\d{1,6})");

    private OpenAiValidator() {
    }

    /** The model a body asks for, {@code dall-e-2} when absent or not a string. */
    static String modelOf(JsonNode json) {
        JsonNode model = json == null ? null : json.get("model");
        return model != null && model.isString() ? model.getStringValue() : "dall-e-2";
    }

    static OpenAiRequest validate(JsonMapper mapper, String body, SandboxSettings settings) {
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
        if (!settings.openaiAvailableModels().contains(model)) {
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
        String size = string(json, "size", "auto");
        int[] wh = "auto".equals(size) ? new int[]{1024, 1024} : checkSize(size);
        String quality = oneOf(json, "quality", QUALITIES, "auto");
        String background = oneOf(json, "background", BACKGROUNDS, "auto");
        String format = oneOf(json, "output_format", FORMATS, "png");
        oneOf(json, "moderation", MODERATIONS, "auto");
        String safetyIdentifier = string(json, "safety_identifier", null);
        String user = string(json, "user", null);
        int compression = integer(json, "output_compression", 100, 0, 100);
        int partials = integer(json, "partial_images", 0, 0, 3);
        boolean stream = false;
        JsonNode streamNode = json.get("stream");
        if (streamNode != null && !streamNode.isNull()) {
            if (!streamNode.isBoolean()) {
                throw new EmulatorException(OpenAiErrors.invalidType("stream", "a boolean", typeName(streamNode)));
            }
            stream = streamNode.getBooleanValue();
        }
        if ("transparent".equals(background)) {
            if ("jpeg".equals(format)) {
                throw new EmulatorException(OpenAiErrors.unsupported("background",
                        "Transparent background requires output_format 'png' or 'webp', but got 'jpeg'."));
            }
            if (!settings.openaiTransparent()) {
                throw new EmulatorException(OpenAiErrors.transparentUnsupported());
            }
        }
        Optional<String> effectiveId = safetyIdentifier != null && !safetyIdentifier.isEmpty() ? Optional.of(safetyIdentifier)
                : Optional.ofNullable(user).filter(u -> !u.isEmpty());
        return new OpenAiRequest(model, prompt, n, wh[0], wh[1], "auto".equals(quality) ? "medium" : quality,
                "auto".equals(background) ? "opaque" : background, format, compression, stream, stream ? partials : 0,
                effectiveId);
    }

    /**
     * Checks a {@code WxH} size against the gpt-image-2 rules and returns {width, height}.
     *
     * @throws EmulatorException 400 {@code invalid_value} (param {@code size}) naming the broken rule
     */
    static int[] checkSize(String size) {
        Matcher m = WXH.matcher(size);
        if (!m.matches()) {
            throw new EmulatorException(OpenAiErrors.invalidSize(size, "Expected WIDTHxHEIGHT, for example '1824x1024'."));
        }
        int w = Integer.parseInt(m.group(1));
        int h = Integer.parseInt(m.group(2));
        if (w % SIZE_STEP != 0 || h % SIZE_STEP != 0) {
            throw new EmulatorException(OpenAiErrors.invalidSize(size, "Width and height must both be divisible by 16."));
        }
        if (Math.max(w, h) > MAX_EDGE) {
            throw new EmulatorException(OpenAiErrors.invalidSize(size, "Width and height must both be at most 3840."));
        }
        if (Math.max(w, h) > (long) MAX_RATIO * Math.min(w, h)) {
            throw new EmulatorException(OpenAiErrors.invalidSize(size,
                    "The ratio between the long and the short edge must be at most 3:1."));
        }
        long pixels = (long) w * h;
        if (pixels < MIN_PIXELS || pixels > MAX_PIXELS) {
            throw new EmulatorException(OpenAiErrors.invalidSize(size,
                    "The total number of pixels must be between 655360 and 8294400."));
        }
        return new int[]{w, h};
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
