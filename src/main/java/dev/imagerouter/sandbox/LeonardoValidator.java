package dev.imagerouter.sandbox;

import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static java.util.Map.entry;

/**
 * Validates a Leonardo {@code POST /generations} body the way Hasura and the action handler do
 * (Leonardo WIRE.md §1, §2.1, §6.2, §9.2), in this order:
 * <ol>
 *   <li>body not a JSON object → 400 validation-failed (the "no prompt / malformed body" row)</li>
 *   <li>a key outside the whitelist → 400 bad-request {@code Unexpected variable <key>}</li>
 *   <li>a value of the wrong JSON type or outside its enum → 400 validation-failed at
 *       {@code $.selectionSet.sdGenerationJob.args.arg1.<key>}</li>
 *   <li>no or null {@code prompt} → 400 validation-failed</li>
 *   <li>prompt > 1500 chars; width/height outside 32..2048 or not a multiple of 8; num_images outside
 *       1..8 (1..4 when a side > 768); contrast outside {1.0, 1.3, 1.8, 2.5, 3, 3.5, 4, 4.5}, or below
 *       2.5 for Phoenix with alchemy → 400 unexpected</li>
 * </ol>
 * Failures are thrown as {@link EmulatorException} holding the finished answer. Stateless.
 */
final class LeonardoValidator {

    /** Phoenix 1.0 and 0.9 model ids (WIRE §7). */
    static final List<String> PHOENIX_MODELS = List.of("de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3", "6b645e3a-d64f-4341-a6d8-7a3690fbf042");

    private static final List<BigDecimal> CONTRASTS = decimals("1.0", "1.3", "1.8", "2.5", "3", "3.5", "4", "4.5");
    private static final BigDecimal PHOENIX_ALCHEMY_MIN_CONTRAST = new BigDecimal("2.5");

    private enum Kind { STRING, INT, SEED, FLOAT, BOOLEAN, ENUM, STRING_LIST, OBJECT_LIST }

    /** A whitelisted argument: its Hasura type name (for messages), kind, and enum values. */
    private record Arg(String type, Kind kind, List<String> values) {
        static Arg of(String type, Kind kind) {
            return new Arg(type, kind, List.of());
        }
    }

    private static final Arg STRING = Arg.of("String", Kind.STRING);
    private static final Arg INT = Arg.of("Int", Kind.INT);
    private static final Arg FLOAT = Arg.of("Float", Kind.FLOAT);
    private static final Arg BOOLEAN = Arg.of("Boolean", Kind.BOOLEAN);

    /** The whitelist: WIRE §2.1 (SDK 4.21.3 wire names) plus {@code styleUUID} and {@code contextImages}; types from openapi.json titles. */
    private static final Map<String, Arg> ARGS = Map.ofEntries(
            entry("prompt", STRING), entry("negative_prompt", STRING), entry("modelId", STRING),
            entry("width", INT), entry("height", INT), entry("num_images", INT), entry("num_inference_steps", INT),
            entry("alchemy", BOOLEAN), entry("ultra", BOOLEAN), entry("contrast", FLOAT),
            entry("presetStyle", new Arg("sd_generation_style", Kind.ENUM, List.of("ANIME", "BOKEH", "CINEMATIC",
                    "CINEMATIC_CLOSEUP", "CREATIVE", "DYNAMIC", "ENVIRONMENT", "FASHION", "FILM", "FOOD", "GENERAL", "HDR",
                    "ILLUSTRATION", "LEONARDO", "LONG_EXPOSURE", "MACRO", "MINIMALISTIC", "MONOCHROME", "MOODY", "NONE",
                    "NEUTRAL", "PHOTOGRAPHY", "PORTRAIT", "RAYTRACED", "RENDER_3D", "RETRO", "SKETCH_BW", "SKETCH_COLOR",
                    "STOCK_PHOTO", "VIBRANT", "UNPROCESSED"))),
            entry("styleUUID", STRING), entry("enhancePrompt", BOOLEAN), entry("enhancePromptInstruction", STRING),
            entry("seed", Arg.of("seed", Kind.SEED)), entry("guidance_scale", FLOAT),
            entry("scheduler", new Arg("sd_generation_schedulers", Kind.ENUM, List.of("KLMS", "EULER_ANCESTRAL_DISCRETE",
                    "EULER_DISCRETE", "DDIM", "DPM_SOLVER", "PNDM", "LEONARDO"))),
            entry("sd_version", new Arg("sd_versions", Kind.ENUM, List.of("v1_5", "v2", "v3", "SDXL_0_8", "SDXL_0_9",
                    "SDXL_1_0", "SDXL_LIGHTNING", "PHOENIX", "FLUX", "FLUX_DEV", "KINO_2_0"))),
            entry("public", BOOLEAN), entry("tiling", BOOLEAN),
            entry("transparency", new Arg("TransparencyType", Kind.ENUM, List.of("disabled", "foreground_only"))),
            entry("photoReal", BOOLEAN), entry("photoRealVersion", STRING), entry("photoRealStrength", FLOAT),
            entry("promptMagic", BOOLEAN), entry("promptMagicVersion", STRING), entry("promptMagicStrength", FLOAT),
            entry("highContrast", BOOLEAN), entry("highResolution", BOOLEAN), entry("expandedDomain", BOOLEAN),
            entry("contrastRatio", FLOAT), entry("fantasyAvatar", BOOLEAN),
            entry("init_image_id", STRING), entry("init_generation_image_id", STRING), entry("init_strength", FLOAT),
            entry("imagePrompts", Arg.of("[String]", Kind.STRING_LIST)), entry("imagePromptWeight", FLOAT),
            entry("controlnets", Arg.of("controlnet_input", Kind.OBJECT_LIST)),
            entry("elements", Arg.of("element_input", Kind.OBJECT_LIST)),
            entry("userElements", Arg.of("user_elements_input", Kind.OBJECT_LIST)),
            entry("canvasRequest", BOOLEAN),
            entry("canvasRequestType", new Arg("canvasRequestType", Kind.ENUM, List.of("INPAINT", "OUTPAINT", "SKETCH2IMG", "IMG2IMG"))),
            entry("canvasInitId", STRING), entry("canvasMaskId", STRING), entry("unzoom", BOOLEAN), entry("unzoomAmount", FLOAT),
            entry("upscaleRatio", FLOAT), entry("controlNet", BOOLEAN),
            entry("controlNetType", new Arg("controlnet_type", Kind.ENUM, List.of("POSE", "CANNY", "DEPTH"))),
            entry("weighting", FLOAT),
            entry("contextImages", Arg.of("context_image_input", Kind.OBJECT_LIST)));

    private LeonardoValidator() {
    }


    /** Validates {@code body}; see the class comment. */
    static LeonardoRequest validate(JsonMapper mapper, String body) {
        JsonNode json = SandboxJson.parseObject(mapper, body);
        if (json == null) {
            throw new EmulatorException(LeonardoErrors.missingPrompt());
        }
        for (Map.Entry<String, JsonNode> e : json.entries()) {
            Arg arg = ARGS.get(e.getKey());
            if (arg == null) {
                throw new EmulatorException(LeonardoErrors.unexpectedVariable(e.getKey()));
            }
            checkType(e.getKey(), arg, e.getValue());
        }
        String prompt = string(json, "prompt");
        if (prompt == null) {
            throw new EmulatorException(LeonardoErrors.missingPrompt());
        }
        if (prompt.length() > 1500) {
            throw new EmulatorException(LeonardoErrors.promptTooLong());
        }
        int width = intOr(json, "width", 1024);
        int height = intOr(json, "height", 768);
        if (!validSide(width) || !validSide(height)) {
            throw new EmulatorException(LeonardoErrors.invalidDimensions());
        }
        int numImages = intOr(json, "num_images", 4);
        if (numImages < 1) {
            throw new EmulatorException(LeonardoErrors.tooFewImages());
        }
        if (numImages > ((width > 768 || height > 768) ? 4 : 8)) {
            throw new EmulatorException(LeonardoErrors.tooManyImages());
        }
        String modelId = string(json, "modelId");
        Boolean alchemy = bool(json, "alchemy");
        BigDecimal contrast = decimal(json, "contrast");
        if (contrast != null) {
            if (CONTRASTS.stream().noneMatch(c -> c.compareTo(contrast) == 0)) {
                throw new EmulatorException(LeonardoErrors.invalidContrast(
                        "invalid contrast " + contrast.toPlainString() + ", must be one of 1.0, 1.3, 1.8, 2.5, 3, 3.5, 4, 4.5"));
            }
            if (PHOENIX_MODELS.contains(modelId) && Boolean.TRUE.equals(alchemy) && contrast.compareTo(PHOENIX_ALCHEMY_MIN_CONTRAST) < 0) {
                throw new EmulatorException(LeonardoErrors.invalidContrast("contrast must be at least 2.5 for Phoenix with alchemy"));
            }
        }
        JsonNode seed = json.get("seed");
        return new LeonardoRequest(prompt, string(json, "negative_prompt"), modelId, width, height, numImages, alchemy,
                string(json, "presetStyle"), seed == null || seed.isNull() ? null : seed.getLongValue(),
                decimalOr(json, "guidance_scale", BigDecimal.valueOf(7)), intOr(json, "num_inference_steps", 15),
                stringOr(json, "scheduler", "EULER_DISCRETE"), string(json, "sd_version"), Boolean.TRUE.equals(bool(json, "public")),
                Boolean.TRUE.equals(bool(json, "photoReal")), decimal(json, "photoRealStrength"),
                Boolean.TRUE.equals(bool(json, "promptMagic")), decimal(json, "promptMagicStrength"),
                string(json, "promptMagicVersion"), decimal(json, "init_strength"), contrast);
    }

    private static boolean validSide(int side) {
        return side >= 32 && side <= 2048 && side % 8 == 0;
    }

    private static void checkType(String key, Arg arg, JsonNode v) {
        if (v.isNull()) {
            return; // every argument but prompt is nullable; a null prompt is reported as missing
        }
        boolean ok = switch (arg.kind()) {
            case STRING -> v.isString();
            case BOOLEAN -> v.isBoolean();
            case FLOAT -> v.isNumber();
            case INT -> isIntegral(v) && v.getBigDecimalValue().abs().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0;
            case SEED -> isIntegral(v) && v.getBigDecimalValue().abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
            case ENUM -> v.isString();
            case STRING_LIST, OBJECT_LIST -> v.isArray();
        };
        if (!ok) {
            throw new EmulatorException(LeonardoErrors.typeMismatch(key, "expected " + expected(arg) + " for type '" + arg.type()
                    + "', but found " + found(v)));
        }
        if (arg.kind() == Kind.ENUM && !arg.values().contains(v.getStringValue())) {
            throw new EmulatorException(LeonardoErrors.typeMismatch(key, "expected one of the values "
                    + arg.values().stream().map(s -> "'" + s + "'").toList() + " for type '" + arg.type() + "', but found \""
                    + v.getStringValue() + "\""));
        }
        if (arg.kind() == Kind.STRING_LIST || arg.kind() == Kind.OBJECT_LIST) {
            int i = 0;
            for (JsonNode item : v.values()) {
                boolean itemOk = arg.kind() == Kind.STRING_LIST ? item.isString() || item.isNull() : item.isObject();
                if (!itemOk) {
                    String type = arg.kind() == Kind.STRING_LIST ? "String" : arg.type();
                    String what = arg.kind() == Kind.STRING_LIST ? "a string" : "an object";
                    throw new EmulatorException(LeonardoErrors.typeMismatch(key + "[" + i + "]",
                            "expected " + what + " for type '" + type + "', but found " + found(item)));
                }
                i++;
            }
        }
    }

    private static boolean isIntegral(JsonNode v) {
        if (!v.isNumber()) {
            return false;
        }
        BigDecimal d = v.getBigDecimalValue();
        return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
    }

    private static String expected(Arg arg) {
        return switch (arg.kind()) {
            case STRING -> "a string";
            case BOOLEAN -> "a boolean";
            case FLOAT -> "a float";
            case INT -> "a 32-bit integer";
            case SEED -> "an integer";
            case ENUM -> "an enum value";
            case STRING_LIST, OBJECT_LIST -> "a list";
        };
    }

    private static String found(JsonNode v) {
        if (v.isString()) {
            return "a string";
        } else if (v.isNumber()) {
            return "a number";
        } else if (v.isBoolean()) {
            return "a boolean";
        } else if (v.isArray()) {
            return "a list";
        } else if (v.isObject()) {
            return "an object";
        }
        return "null";
    }

    private static String string(JsonNode json, String key) {
        JsonNode v = json.get(key);
        return v == null || v.isNull() ? null : v.getStringValue();
    }

    private static String stringOr(JsonNode json, String key, String fallback) {
        String s = string(json, key);
        return s == null ? fallback : s;
    }

    private static Boolean bool(JsonNode json, String key) {
        JsonNode v = json.get(key);
        return v == null || v.isNull() ? null : v.getBooleanValue();
    }

    private static int intOr(JsonNode json, String key, int fallback) {
        JsonNode v = json.get(key);
        return v == null || v.isNull() ? fallback : v.getBigDecimalValue().intValue();
    }

    private static BigDecimal decimal(JsonNode json, String key) {
        JsonNode v = json.get(key);
        return v == null || v.isNull() ? null : v.getBigDecimalValue();
    }

    private static BigDecimal decimalOr(JsonNode json, String key, BigDecimal fallback) {
        BigDecimal d = decimal(json, key);
        return d == null ? fallback : d;
    }

    private static List<BigDecimal> decimals(String... values) {
        return java.util.Arrays.stream(values).map(BigDecimal::new).toList();
    }
}
