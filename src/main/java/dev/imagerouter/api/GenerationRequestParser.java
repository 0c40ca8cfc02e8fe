package dev.imagerouter.api;

import dev.imagerouter.vocabulary.ImageRequest;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and validates a {@code POST /v1/images/generations} body into a normalised
 * {@link ImageRequest}. Every error is a 400 {@link ApiException} naming the offending
 * {@code param}, with a {@code code} such as {@code invalid_json}, {@code missing_required_parameter},
 * {@code invalid_type}, {@code invalid_value}, {@code unknown_parameter}. Thread-safe.
 */
public final class GenerationRequestParser {

    /** Leonardo's preset styles (shared/specs/leonardo/WIRE.md §2.1). */
    public static final Set<String> STYLES = Set.of("ANIME", "BOKEH", "CINEMATIC", "CINEMATIC_CLOSEUP", "CREATIVE", "DYNAMIC",
            "ENVIRONMENT", "FASHION", "FILM", "FOOD", "GENERAL", "HDR", "ILLUSTRATION", "LEONARDO", "LONG_EXPOSURE", "MACRO",
            "MINIMALISTIC", "MONOCHROME", "MOODY", "NONE", "NEUTRAL", "PHOTOGRAPHY", "PORTRAIT", "RAYTRACED", "RENDER_3D",
            "RETRO", "SKETCH_BW", "SKETCH_COLOR", "STOCK_PHOTO", "VIBRANT", "UNPROCESSED");
    /**
     * DALL·E 3's {@code style} values, mapped to Leonardo preset styles: {@code vivid} ("hyper-real and
     * dramatic") → VIBRANT, {@code natural} ("more natural, less hyper-real") → NEUTRAL. OpenAI never gets
     * a style (GPT image models have none).
     */
    public static final Map<String, String> DALL_E_STYLES = Map.of("VIVID", "VIBRANT", "NATURAL", "NEUTRAL");
    /** DALL·E 3's {@code quality} values, mapped to GPT Image's: standard → medium, hd → high. */
    public static final Map<String, String> DALL_E_QUALITIES = Map.of("standard", "medium", "hd", "high");
    /** Largest seed Leonardo accepts for non-Flux models (WIRE.md §2.1). */
    public static final long MAX_SEED = 9_999_999_998L;
    /** The router's own size limits: edges 256..3840 (gpt-image-2's largest edge), multiples of 8. */
    public static final int MIN_DIMENSION = 256;
    public static final int MAX_DIMENSION = 3840;
    /** At most gpt-image-2's largest image, 3840x2160 (shared/specs/openai/GPT-IMAGE-2.md §1). */
    public static final long MAX_PIXELS = 8_294_400L;
    public static final int MAX_IMAGES = 4;
    /** Longest {@code user}/{@code safety_identifier}: an id (OpenAI recommends a hash), not a text. */
    public static final int MAX_IDENTIFIER_LENGTH = 256;

    private static final Set<String> KNOWN = Set.of("prompt", "n", "size", "quality", "style", "negative_prompt", "seed",
            "response_format", "model", "output_format", "user", "safety_identifier", "background", "moderation",
            "output_compression", "stream", "partial_images");
    private static final List<String> QUALITIES = List.of("low", "medium", "high", "auto", "standard", "hd");
    private static final List<String> RESPONSE_FORMATS = List.of("url", "b64_json");
    private static final List<String> OUTPUT_FORMATS = List.of("png", "jpeg", "webp");
    private static final List<String> BACKGROUNDS = List.of("auto", "opaque", "transparent");
    private static final List<String> MODERATIONS = List.of("auto", "low");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    /**
     * A parsed request plus what only the API layer needs.
     *
     * @param request        the normalised request
     * @param responseFormat {@code url} or {@code b64_json} as asked, or empty when not given
     * @param model          the {@code model} the client named, or empty (the chain decides; only the answer's shape uses it)
     * @param stream         {@code stream: true}: answer in server-sent events
     */
    public record Parsed(ImageRequest request, Optional<String> responseFormat, Optional<String> model, boolean stream) {

        /**
         * Whether the answer carries {@code b64_json} and {@code url} both: a client that names a GPT image
         * model and no {@code response_format} reads {@code data[0].b64_json}, as OpenAI always answers
         * base64 for those models, while other clients keep the URL answer they know.
         */
        public boolean bothFormats() {
            return responseFormat.isEmpty() && model.map(m -> m.startsWith("gpt-image") || m.startsWith("chatgpt-image")).orElse(false);
        }

        /** Whether the answer carries {@code b64_json}. */
        public boolean base64() {
            return bothFormats() || responseFormat.map("b64_json"::equals).orElse(false);
        }

        /** Whether the answer carries {@code url}. */
        public boolean url() {
            return bothFormats() || !responseFormat.map("b64_json"::equals).orElse(false);
        }
    }

    private final JsonMapper json;
    private final int maxPromptLength;
    private final SandboxFaultCheck faultCheck;

    /** @param maxPromptLength prompt length cap in characters (OpenAI's limit is 32000, GPT-IMAGE-2.md §1) */
    /**
     * @param faultCheck checks an {@code X-Sandbox-Fault} plan (sandbox mode only)
     */
    public GenerationRequestParser(JsonMapper json, int maxPromptLength, SandboxFaultCheck faultCheck) {
        this.json = json;
        this.maxPromptLength = maxPromptLength;
        this.faultCheck = faultCheck;
    }

    public Parsed parse(byte[] body, Optional<String> sandboxFaults) {
        if (body == null || body.length == 0) {
            throw ApiException.invalid(null, "invalid_json", "The request body is empty; send a JSON object with at least 'prompt'.");
        }
        JsonNode root;
        try {
            root = json.readValue(body, JsonNode.class);
        } catch (IOException | RuntimeException e) {
            throw ApiException.invalid(null, "invalid_json", "The request body is not valid JSON.");
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, "invalid_json", "The request body must be a JSON object.");
        }
        for (Map.Entry<String, JsonNode> field : root.entries()) {
            if (!KNOWN.contains(field.getKey())) {
                // The name is the client's text: shortened and printable-only wherever it is echoed.
                throw ApiException.invalid(safe(field.getKey()), "unknown_parameter", "Unknown parameter: '" + safe(field.getKey()) + "'.");
            }
        }
        String prompt = requiredString(root, "prompt");
        if (prompt.isBlank()) {
            throw ApiException.invalid("prompt", "invalid_value", "'prompt' must not be empty.");
        }
        checkLength("prompt", prompt);
        Optional<String> negative = optionalString(root, "negative_prompt").filter(s -> !s.isBlank());
        negative.ifPresent(n -> checkLength("negative_prompt", n));
        int n = optionalLong(root, "n", 1, MAX_IMAGES).orElse(1L).intValue();
        int[] size = size(optionalString(root, "size").orElse("1024x1024"));
        String quality = oneOf(root, "quality", QUALITIES, "auto");
        quality = DALL_E_QUALITIES.getOrDefault(quality, quality);
        Optional<String> style = optionalString(root, "style").map(s -> s.trim().toUpperCase(Locale.ROOT))
                .map(s -> DALL_E_STYLES.getOrDefault(s, s));
        if (style.isPresent() && !STYLES.contains(style.get())) {
            throw ApiException.invalid("style", "invalid_value", "Invalid 'style': expected a Leonardo preset style such as "
                    + "CINEMATIC, or DALL·E's vivid or natural.");
        }
        Optional<Long> seed = optionalLong(root, "seed", 0, MAX_SEED);
        Optional<String> responseFormat = optionalString(root, "response_format");
        if (responseFormat.isPresent() && !RESPONSE_FORMATS.contains(responseFormat.get())) {
            throw ApiException.invalid("response_format", "invalid_value", "Invalid 'response_format': expected one of "
                    + RESPONSE_FORMATS + ".");
        }
        String outputFormat = oneOf(root, "output_format", OUTPUT_FORMATS, "png");
        Optional<Integer> compression = optionalLong(root, "output_compression", 0, 100).map(Long::intValue);
        if (compression.isPresent() && "png".equals(outputFormat)) {
            throw ApiException.invalid("output_compression", "invalid_value",
                    "'output_compression' applies to output_format jpeg or webp, not png.");
        }
        String background = oneOf(root, "background", BACKGROUNDS, ImageRequest.BACKGROUND_AUTO);
        if (ImageRequest.BACKGROUND_TRANSPARENT.equals(background) && "jpeg".equals(outputFormat)) {
            throw ApiException.invalid("background", "invalid_value",
                    "A transparent background needs output_format png or webp; jpeg has no transparency.");
        }
        String moderation = oneOf(root, "moderation", MODERATIONS, ImageRequest.MODERATION_AUTO);
        Optional<String> model = optionalString(root, "model");
        Optional<String> user = identifier(root, "user");
        Optional<String> safetyIdentifier = identifier(root, "safety_identifier").or(() -> user);
        boolean stream = optionalBoolean(root, "stream");
        int partialImages = optionalLong(root, "partial_images", 0, 3).orElse(0L).intValue();
        sandboxFaults.ifPresent(this::checkFaults);
        ImageRequest request = new ImageRequest(prompt, negative, size[0], size[1], n, quality, style, seed, outputFormat,
                background, moderation, compression, safetyIdentifier, stream ? partialImages : 0, sandboxFaults);
        return new Parsed(request, responseFormat, model, stream);
    }

    private static Optional<String> identifier(JsonNode root, String param) {
        Optional<String> value = optionalString(root, param).filter(s -> !s.isEmpty());
        if (value.isPresent() && value.get().length() > MAX_IDENTIFIER_LENGTH) {
            throw ApiException.invalid(param, "string_above_max_length",
                    "'" + param + "' is longer than the maximum of " + MAX_IDENTIFIER_LENGTH + " characters.");
        }
        return value;
    }

    private static boolean optionalBoolean(JsonNode root, String param) {
        JsonNode node = root.get(param);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw ApiException.invalid(param, "invalid_type", "Invalid type for '" + param + "': expected a boolean.");
        }
        return node.getBooleanValue();
    }

    private void checkLength(String param, String value) {
        if (value.codePointCount(0, value.length()) > maxPromptLength) {
            throw ApiException.invalid(param, "string_above_max_length",
                    "'" + param + "' is longer than the maximum of " + maxPromptLength + " characters.");
        }
    }

    /** A sandbox fault plan the emulators would reject is the client's mistake: 400 here, not a failed chain (502). */
    private void checkFaults(String plan) {
        try {
            faultCheck.check(plan);
        } catch (IllegalArgumentException e) {
            String why = e.getMessage().replaceAll("[^\\p{Print}]", "?");
            throw ApiException.invalid("X-Sandbox-Fault", "invalid_value", "Invalid X-Sandbox-Fault header: "
                    + (why.length() > 300 ? why.substring(0, 300) + "…" : why));
        }
    }

    private static int[] size(String text) {
        if ("auto".equals(text)) {
            return new int[]{1024, 1024};
        }
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw ApiException.invalid("size", "invalid_value", "Invalid 'size': expected WIDTHxHEIGHT such as 1024x1024, or auto.");
        }
        int w = Integer.parseInt(m.group(1));
        int h = Integer.parseInt(m.group(2));
        if (w < MIN_DIMENSION || w > MAX_DIMENSION || h < MIN_DIMENSION || h > MAX_DIMENSION || w % 8 != 0 || h % 8 != 0) {
            throw ApiException.invalid("size", "invalid_value", "Invalid 'size': width and height must be multiples of 8 from "
                    + MIN_DIMENSION + " to " + MAX_DIMENSION + ".");
        }
        if ((long) w * h > MAX_PIXELS) {
            throw ApiException.invalid("size", "invalid_value", "Invalid 'size': at most " + MAX_PIXELS
                    + " pixels (3840x2160), but " + w + "x" + h + " is " + ((long) w * h) + ".");
        }
        return new int[]{w, h};
    }

    private static String requiredString(JsonNode root, String param) {
        JsonNode node = root.get(param);
        if (node == null || node.isNull()) {
            throw ApiException.invalid(param, "missing_required_parameter", "Missing required parameter: '" + param + "'.");
        }
        if (!node.isString()) {
            throw ApiException.invalid(param, "invalid_type", "Invalid type for '" + param + "': expected a string.");
        }
        return node.getStringValue();
    }

    private static Optional<String> optionalString(JsonNode root, String param) {
        JsonNode node = root.get(param);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isString()) {
            throw ApiException.invalid(param, "invalid_type", "Invalid type for '" + param + "': expected a string.");
        }
        return Optional.of(node.getStringValue());
    }

    private static Optional<Long> optionalLong(JsonNode root, String param, long min, long max) {
        JsonNode node = root.get(param);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isNumber()) {
            throw ApiException.invalid(param, "invalid_type", "Invalid type for '" + param + "': expected an integer.");
        }
        String text = node.getNumberValue().toString();
        long value;
        try {
            value = new java.math.BigDecimal(text).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw ApiException.invalid(param, "invalid_value", "Invalid '" + param + "': expected an integer from " + min + " to " + max + ".");
        }
        if (value < min || value > max) {
            throw ApiException.invalid(param, "invalid_value", "Invalid '" + param + "': expected an integer from " + min + " to " + max + ".");
        }
        return Optional.of(value);
    }

    private static String oneOf(JsonNode root, String param, List<String> allowed, String defaultValue) {
        String value = optionalString(root, param).orElse(defaultValue);
        if (!allowed.contains(value)) {
            throw ApiException.invalid(param, "invalid_value", "Invalid '" + param + "': expected one of " + allowed + ".");
        }
        return value;
    }

    private static String safe(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return cut.replaceAll("[^\\p{Print}]", "?");
    }
}
