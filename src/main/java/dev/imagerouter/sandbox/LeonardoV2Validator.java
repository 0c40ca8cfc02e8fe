package dev.imagerouter.sandbox;

import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Validates a Leonardo v2 {@code POST /api/rest/v2/generations} body against the model it names
 * ({@link LeonardoV2Models}), in this order:
 * <ol>
 *   <li>not a JSON object, or a key other than {@code model}, {@code public}, {@code parameters} → 400</li>
 *   <li>{@code model} missing or not a string → 400; a slug not served → 400 "&lt;slug&gt; is not supported within
 *       the Production API…" (the v1 wording, WIRE.md §6.2; what v2 says is undocumented)</li>
 *   <li>{@code public} missing → 400 (one 2026 integration saw VALIDATION_ERROR without it, UPDATES-2026.md §1.1 [M]),
 *       or not a boolean → 400</li>
 *   <li>{@code parameters} missing or not an object → 400; a parameter the model's schema does not have (v1 keys such
 *       as {@code modelId}, {@code num_images}, {@code alchemy} included, §1.1) → 400; a value of the wrong type,
 *       outside its enum or range, a prompt that is empty or too long, more style ids than the model takes, a
 *       required parameter missing → 400</li>
 *   <li>{@code width × height} not one of the model's listed sizes, or outside its ranges or not a multiple of its
 *       step → 400</li>
 * </ol>
 * The error body is the Hasura-like envelope {@code {"error","path","code":"VALIDATION_ERROR"}}: v2's error shape is
 * unconfirmed (§7.1), the code is the one reported in §1.1, the wording is the emulator's. Failures are thrown as
 * {@link EmulatorException}. Stateless.
 *
 * <p>Why not a JSON Schema validator library: the schemas are a small table ({@link LeonardoV2Models}) that also
 * renders the models list, the answers need Leonardo's envelope with one path per refusal, and the emulator (like
 * the v1 {@link LeonardoValidator}) takes no dependency for it.
 */
final class LeonardoV2Validator {

    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final java.util.Set<String> TOP_LEVEL = java.util.Set.of("model", "public", "parameters");

    private LeonardoV2Validator() {
    }

    /** A validated body: its model and the job request the v1 job store keeps (modelId = the model's list id). */
    record Validated(LeonardoV2Models.Model model, LeonardoRequest request) {
    }

    /** Best-effort {@code model} of a body not validated yet (for the {@code model} fault). */
    static String slugOf(JsonMapper mapper, String body) {
        JsonNode json = SandboxJson.parseObject(mapper, body);
        JsonNode model = json == null ? null : json.get("model");
        return model != null && model.isString() ? model.getStringValue() : "phoenix-v1.0";
    }

    static Validated validate(JsonMapper mapper, String body) {
        JsonNode json = SandboxJson.parseObject(mapper, body);
        if (json == null) {
            throw invalid("$", "the body must be a JSON object {model, public, parameters}");
        }
        for (Map.Entry<String, JsonNode> e : json.entries()) {
            if (!TOP_LEVEL.contains(e.getKey())) {
                throw invalid("$." + e.getKey(), "Unexpected property " + e.getKey() + " (allowed: model, public, parameters)");
            }
        }
        JsonNode slug = json.get("model");
        if (slug == null || !slug.isString()) {
            throw invalid("$.model", "model is required: a model slug such as phoenix-v1.0");
        }
        LeonardoV2Models.Model model = LeonardoV2Models.bySlug(slug.getStringValue())
                .orElseThrow(() -> new EmulatorException(LeonardoErrors.modelNotSupported(slug.getStringValue())));
        JsonNode isPublic = json.get("public");
        if (isPublic == null || isPublic.isNull()) {
            throw invalid("$.public", "public is required");
        }
        if (!isPublic.isBoolean()) {
            throw invalid("$.public", "public must be a boolean");
        }
        JsonNode params = json.get("parameters");
        if (params == null || !params.isObject()) {
            throw invalid("$.parameters", "parameters is required: an object");
        }
        for (Map.Entry<String, JsonNode> e : params.entries()) {
            LeonardoV2Models.Param p = model.params().get(e.getKey());
            if (p == null) {
                throw invalid("$.parameters." + e.getKey(), "Unexpected parameter " + e.getKey() + " for model " + model.slug()
                        + " (additionalProperties: false; allowed: " + String.join(", ", model.params().keySet()) + ")");
            }
            check(model, e.getKey(), p, e.getValue());
        }
        for (String key : model.params().keySet()) { // the schema's order, so the first missing one is named
            if (!model.required().contains(key)) {
                continue;
            }
            JsonNode v = params.get(key);
            if (v == null || v.isNull()) {
                throw invalid("$.parameters." + key, key + " is required for model " + model.slug());
            }
        }
        int width = intOr(params, "width", model.defaultSize()[0]);
        int height = intOr(params, "height", model.defaultSize()[1]);
        checkSize(model, width, height);
        String prompt = params.get("prompt").getStringValue();
        JsonNode negative = params.get("negative_prompt");
        JsonNode seed = params.get("seed");
        LeonardoRequest request = new LeonardoRequest(prompt, negative == null || negative.isNull() ? null : negative.getStringValue(),
                model.id(), width, height, intOr(params, "quantity", model.defaultQuantity()), null, null,
                seed == null || seed.isNull() ? null : seed.getLongValue(), BigDecimal.valueOf(7), 15, "EULER_DISCRETE", null,
                isPublic.getBooleanValue(), false, null, false, null, null, null, null);
        return new Validated(model, request);
    }

    private static void check(LeonardoV2Models.Model model, String key, LeonardoV2Models.Param p, JsonNode v) {
        String path = "$.parameters." + key;
        if (v.isNull()) {
            if (key.equals("prompt")) {
                throw invalid(path, "prompt is required");
            }
            return;
        }
        switch (p.kind()) {
            case STRING -> {
                if (!v.isString()) {
                    throw invalid(path, key + " must be a string");
                }
                int length = v.getStringValue().codePointCount(0, v.getStringValue().length());
                if (length < p.min() || length > p.max()) {
                    throw invalid(path, key + " must have " + p.min() + " to " + p.max() + " characters for model " + model.slug()
                            + ", but had " + length);
                }
            }
            case INTEGER -> {
                if (!v.isNumber() || v.getBigDecimalValue().stripTrailingZeros().scale() > 0) {
                    throw invalid(path, key + " must be an integer");
                }
                BigDecimal d = v.getBigDecimalValue();
                if (d.compareTo(BigDecimal.valueOf(p.min())) < 0 || d.compareTo(BigDecimal.valueOf(p.max())) > 0) {
                    throw invalid(path, key + " must be between " + p.min() + " and " + p.max() + " for model " + model.slug()
                            + ", but was " + d.toPlainString());
                }
            }
            case ENUM -> {
                if (!v.isString() || !p.values().contains(v.getStringValue())) {
                    throw invalid(path, key + " must be one of " + p.values() + " for model " + model.slug() + ", but was "
                            + (v.isString() ? v.getStringValue() : "not a string"));
                }
            }
            case BOOLEAN -> {
                if (!v.isBoolean()) {
                    throw invalid(path, key + " must be a boolean");
                }
            }
            case STYLE_IDS -> {
                if (!v.isArray()) {
                    throw invalid(path, key + " must be an array of style UUIDs");
                }
                if (v.size() > p.max()) {
                    throw invalid(path, "model " + model.slug() + " accepts at most " + p.max() + " style id(s), but got " + v.size());
                }
                for (JsonNode item : v.values()) {
                    if (!item.isString() || !UUID_TEXT.matcher(item.getStringValue()).matches()) {
                        throw invalid(path, key + " must hold style UUIDs");
                    }
                }
            }
            case OBJECT -> {
                if (!v.isObject()) {
                    throw invalid(path, key + " must be an object");
                }
            }
        }
    }

    private static void checkSize(LeonardoV2Models.Model model, int width, int height) {
        if (!model.fixedSizes().isEmpty()) {
            if (model.fixedSizes().stream().noneMatch(s -> s[0] == width && s[1] == height)) {
                throw invalid("$.parameters.width", width + "x" + height + " is not a size of model " + model.slug() + " (sizes: "
                        + model.fixedSizes().stream().map(s -> s[0] + "x" + s[1]).toList() + ")");
            }
            return;
        }
        if (width % model.multipleOf() != 0 || height % model.multipleOf() != 0) {
            throw invalid("$.parameters.width", "width and height must be multiples of " + model.multipleOf() + " for model "
                    + model.slug() + ", but were " + width + "x" + height);
        }
    }

    private static int intOr(JsonNode params, String key, int fallback) {
        JsonNode v = params.get(key);
        return v == null || v.isNull() ? fallback : v.getBigDecimalValue().intValue();
    }

    private static EmulatorException invalid(String path, String message) {
        return new EmulatorException(LeonardoErrors.error(400, message, path, "VALIDATION_ERROR"));
    }
}
