package dev.imagerouter.sandbox;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The models the Leonardo v2 emulator serves, each with its own {@code parameters} schema: the body of
 * {@code POST /api/rest/v2/generations} is a union discriminated by {@code model} (a slug), and each model
 * accepts only its own parameters ({@code additionalProperties: false}) within its own ranges
 * (shared/specs/leonardo/UPDATES-2026.md §1.1–§1.3; the section tags below name the source, [H]/[M]/[L] its
 * confidence). {@code GET /api/rest/v2/models} lists them as {@code {"id","name","parameters"}}: the id is the v1
 * model UUID where Leonardo has one (WIRE.md §7, UPDATES-2026 §6), otherwise an emulator UUID (marked), and the
 * name is the display name; the list carries no slug (§1.2). Immutable.
 */
final class LeonardoV2Models {

    /** What a parameter's value must be. */
    enum Kind { STRING, INTEGER, ENUM, BOOLEAN, STYLE_IDS, OBJECT }

    /**
     * One parameter of a model's schema.
     *
     * @param kind   its type
     * @param min    smallest value (INTEGER), or shortest length (STRING, 1 for a prompt)
     * @param max    largest value (INTEGER), longest length (STRING) or most items (STYLE_IDS)
     * @param values the allowed values (ENUM)
     */
    record Param(Kind kind, long min, long max, List<String> values) {
        static Param integer(long min, long max) {
            return new Param(Kind.INTEGER, min, max, List.of());
        }

        static Param string(long maxLength) {
            return new Param(Kind.STRING, 1, maxLength, List.of());
        }

        static Param oneOf(String... values) {
            return new Param(Kind.ENUM, 0, 0, List.of(values));
        }

        static Param styleIds(int maxItems) {
            return new Param(Kind.STYLE_IDS, 0, maxItems, List.of());
        }

        static final Param BOOL = new Param(Kind.BOOLEAN, 0, 0, List.of());
        static final Param OBJECT = new Param(Kind.OBJECT, 0, 0, List.of());
    }

    /**
     * One model.
     *
     * @param slug            the {@code model} of a create body
     * @param id              its {@code id} in the models list
     * @param name            its {@code name} in the models list
     * @param params          its parameters (width/height checked by {@code fixedSizes} or the width/height ranges)
     * @param fixedSizes      its only sizes, {@code {width, height}}; empty when ranges apply
     * @param multipleOf      both edges multiples of this (ranges)
     * @param required        parameters that must be there ({@code prompt} always)
     * @param defaultSize     {@code {width, height}} when the body gives none
     * @param defaultQuantity images made when the body gives no {@code quantity}
     */
    record Model(String slug, String id, String name, Map<String, Param> params, List<int[]> fixedSizes, int multipleOf,
                 Set<String> required, int[] defaultSize, int defaultQuantity) {
    }

    private static final Param PROMPT_ENHANCE = Param.oneOf("AUTO", "ON", "OFF");

    /** Ideogram 4.5's listed sizes, 720…3328 (§1.3 V2-IDG45 [H] for the bounds; the pairs, 1K and 2K, are [M]). */
    private static final List<int[]> IDEOGRAM_SIZES = sizes("1024x1024", "720x1440", "1440x720", "832x1248", "1248x832",
            "896x1120", "1120x896", "720x1280", "1280x720", "800x1280", "1280x800", "864x1152", "1152x864",
            "2048x2048", "1440x2880", "2880x1440", "1664x2496", "2496x1664", "1792x2240", "2240x1792", "1440x2560",
            "2560x1440", "1600x2560", "2560x1600", "1728x2304", "2304x1728", "1296x3168", "3168x1296", "1152x2944",
            "2944x1152", "1248x3328", "3328x1248", "1280x3072", "3072x1280");
    /** Nano Banana 2's listed set (§1.3 V2-NB* [H] that it is a list, default 1024; the pairs are Google's 1K set [M]). */
    private static final List<int[]> NANO_BANANA_SIZES = sizes("1024x1024", "832x1248", "1248x832", "864x1184", "1184x864",
            "896x1152", "1152x896", "768x1344", "1344x768", "1536x672");
    /** GPT Image 2's listed pairs (§1.3 V2-GPT2: 1376x768 [H]; the others mirror gpt-image-1.5's and are [M]). */
    private static final List<int[]> GPT_IMAGE_2_SIZES = sizes("1024x1024", "1536x1024", "1024x1536", "1376x768", "768x1376");
    /** Recraft V4's exact sizes as far as the spec gives them (§1.3 V2-RCF [H]: 1:1 1024x1024, 16:9 1344x768). */
    private static final List<int[]> RECRAFT_SIZES = sizes("1024x1024", "1344x768");

    /** Every model served, by slug. */
    static final Map<String, Model> MODELS = index(
            // §1.3 V2-PHX [H]
            new Model("phoenix-v1.0", "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3", "Leonardo Phoenix 1.0", params(
                    "prompt", Param.string(2000), "negative_prompt", Param.string(2000),
                    "mode", Param.oneOf("FAST", "QUALITY", "ULTRA"), "contrast", Param.oneOf("LOW", "MEDIUM", "HIGH"),
                    "tiling", Param.BOOL, "width", Param.integer(32, 2048), "height", Param.integer(32, 2048),
                    "quantity", Param.integer(1, 8), "seed", Param.integer(0, 9_999_999_998L), "style_ids", Param.styleIds(1),
                    "prompt_enhance", PROMPT_ENHANCE, "guidances", Param.OBJECT), List.of(), 8, Set.of("prompt"),
                    new int[]{1024, 1024}, 4),
            // §1.3 V2-LO [H]; quantity 1–8 from the common set [M]
            new Model("lucid-origin", "7b592283-e8a7-4c5a-9ba6-d18c31f258b9", "Lucid Origin", params(
                    "prompt", Param.string(2000), "mode", Param.oneOf("FAST", "ULTRA"),
                    "width", Param.integer(16, 3840), "height", Param.integer(16, 3616), "quantity", Param.integer(1, 8),
                    "seed", Param.integer(0, 2_147_483_647L), "style_ids", Param.styleIds(1), "prompt_enhance", PROMPT_ENHANCE,
                    "guidances", Param.OBJECT), List.of(), 8, Set.of("prompt"), new int[]{1200, 1200}, 4),
            // §1.3 V2-F2P: the guide's 256–1440 [H] (the spec reading 64–14142 is wider [L]); multiples of 16 [L];
            // id: emulator UUID (none published)
            new Model("flux-pro-2.0", "5a9d1b0e-7c4f-4e2a-9b3d-0000000f2f20", "FLUX.2 Pro", params(
                    "prompt", Param.string(9999), "width", Param.integer(256, 1440), "height", Param.integer(256, 1440),
                    "quantity", Param.integer(1, 8), "seed", Param.integer(0, 4_294_967_295L), "prompt_enhance", PROMPT_ENHANCE,
                    "guidances", Param.OBJECT), List.of(), 16, Set.of("prompt"), new int[]{1024, 1024}, 1),
            // §1.3 V2-IDG45 [H]; id: emulator UUID
            new Model("ideogram/ideogram-4.5", "5a9d1b0e-7c4f-4e2a-9b3d-00000001de45", "Ideogram 4.5", params(
                    "prompt", Param.string(10_000), "quality", Param.oneOf("VERY_LOW", "LOW", "MEDIUM", "HIGH"),
                    "width", Param.integer(720, 3328), "height", Param.integer(720, 3328), "quantity", Param.integer(1, 8),
                    "prompt_enhance", PROMPT_ENHANCE, "guidances", Param.OBJECT), IDEOGRAM_SIZES, 1, Set.of("prompt"),
                    new int[]{1024, 1024}, 4),
            // §1.3 V2-NB* [H] (prompt ≤ 5000, quantity ≤ 8, default 1); seed 0–2147483647 [L]; id: emulator UUID
            new Model("nano-banana-2", "5a9d1b0e-7c4f-4e2a-9b3d-0000000ba2a2", "Nano Banana 2", params(
                    "prompt", Param.string(5000), "width", Param.integer(512, 4096), "height", Param.integer(512, 4096),
                    "quantity", Param.integer(1, 8), "seed", Param.integer(0, 2_147_483_647L), "style_ids", Param.styleIds(1),
                    "prompt_enhance", PROMPT_ENHANCE, "guidances", Param.OBJECT), NANO_BANANA_SIZES, 1, Set.of("prompt"),
                    new int[]{1024, 1024}, 1),
            // §1.3 V2-SD5 [H]: 768–2048 (default 2048), quantity 1–6, output_format; multiples of 8 [L]; id: emulator UUID
            new Model("seedream-5.0-pro", "5a9d1b0e-7c4f-4e2a-9b3d-000000005ed5", "Seedream 5.0 Pro", params(
                    "prompt", Param.string(5000), "width", Param.integer(768, 2048), "height", Param.integer(768, 2048),
                    "quantity", Param.integer(1, 6), "output_format", Param.oneOf("jpeg", "png"),
                    "prompt_enhance", PROMPT_ENHANCE, "guidances", Param.OBJECT), List.of(), 8, Set.of("prompt"),
                    new int[]{2048, 2048}, 1),
            // §1.3 V2-GPT2 [H]: quality LOW|MEDIUM|HIGH, quantity 1–8, only listed pairs, no seed; id: emulator UUID
            new Model("gpt-image-2", "5a9d1b0e-7c4f-4e2a-9b3d-0000000091a2", "GPT Image 2", params(
                    "prompt", Param.string(32_000), "quality", Param.oneOf("LOW", "MEDIUM", "HIGH"),
                    "width", Param.integer(768, 1536), "height", Param.integer(768, 1536), "quantity", Param.integer(1, 8),
                    "prompt_enhance", PROMPT_ENHANCE, "guidances", Param.OBJECT), GPT_IMAGE_2_SIZES, 1, Set.of("prompt"),
                    new int[]{1024, 1024}, 1),
            // §1.3 V2-RCF [H]: width and height required, exact sizes only, quantity 1–6; id: emulator UUID
            new Model("recraft-v4", "5a9d1b0e-7c4f-4e2a-9b3d-0000000ecaf4", "Recraft V4", params(
                    "prompt", Param.string(10_000), "width", Param.integer(1024, 1344), "height", Param.integer(768, 1024),
                    "quantity", Param.integer(1, 6), "prompt_enhance", PROMPT_ENHANCE), RECRAFT_SIZES, 1,
                    Set.of("prompt", "width", "height"), new int[]{1024, 1024}, 1));

    private LeonardoV2Models() {
    }

    /** The model of that slug, if served. */
    static Optional<Model> bySlug(String slug) {
        return Optional.ofNullable(MODELS.get(slug));
    }

    /**
     * The {@code GET /api/rest/v2/models} body: {@code {"productionApiAvailableModels":[{"id","name","parameters"}]}},
     * {@code parameters} a JSON Schema of the model's parameters ({@code additionalProperties: false}); models whose
     * name or id is in {@code unlisted} are left out (case-insensitive).
     */
    static byte[] listBody(Set<String> unlisted) {
        List<Object> entries = new ArrayList<>();
        for (Model m : MODELS.values()) {
            if (unlisted.stream().anyMatch(u -> u.equalsIgnoreCase(m.name()) || u.equalsIgnoreCase(m.id()))) {
                continue;
            }
            Map<String, Object> entry = SandboxJson.object();
            entry.put("id", m.id());
            entry.put("name", m.name());
            entry.put("parameters", schema(m));
            entries.add(entry);
        }
        return SandboxJson.bytes(Map.of("productionApiAvailableModels", entries));
    }

    private static Map<String, Object> schema(Model m) {
        Map<String, Object> properties = SandboxJson.object();
        m.params().forEach((key, p) -> {
            Map<String, Object> prop = SandboxJson.object();
            switch (p.kind()) {
                case STRING -> {
                    prop.put("type", "string");
                    prop.put("maxLength", p.max());
                }
                case INTEGER -> {
                    prop.put("type", "integer");
                    prop.put("minimum", p.min());
                    prop.put("maximum", p.max());
                }
                case ENUM -> {
                    prop.put("type", "string");
                    prop.put("enum", p.values());
                }
                case BOOLEAN -> prop.put("type", "boolean");
                case STYLE_IDS -> {
                    prop.put("type", "array");
                    prop.put("maxItems", p.max());
                    prop.put("items", Map.of("type", "string", "format", "uuid"));
                }
                case OBJECT -> prop.put("type", "object");
            }
            properties.put(key, prop);
        });
        Map<String, Object> schema = SandboxJson.object();
        schema.put("type", "object");
        schema.put("additionalProperties", false);
        schema.put("required", m.params().keySet().stream().filter(m.required()::contains).toList());
        schema.put("properties", properties);
        return schema;
    }

    private static Map<String, Param> params(Object... keysAndParams) {
        Map<String, Param> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndParams.length; i += 2) {
            out.put((String) keysAndParams[i], (Param) keysAndParams[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private static List<int[]> sizes(String... sizes) {
        List<int[]> out = new ArrayList<>();
        for (String s : sizes) {
            String[] wh = s.split("x");
            out.add(new int[]{Integer.parseInt(wh[0]), Integer.parseInt(wh[1])});
        }
        return List.copyOf(out);
    }

    private static Map<String, Model> index(Model... models) {
        Map<String, Model> out = new LinkedHashMap<>();
        for (Model m : models) {
            out.put(m.slug(), m);
        }
        return java.util.Collections.unmodifiableMap(out);
    }
}
