package dev.imagerouter.provider.leonardov2;

import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.Unsupported;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How the router's request maps to one Leonardo v2 model's {@code parameters} object, from
 * {@code parameters:} of its provider file: configuration, not code, since every model has its own
 * schema (shared/specs/leonardo/UPDATES-2026.md §1.1, §1.3) and Leonardo refuses keys a model does not
 * know. The keys:
 * <pre>
 * parameters:
 *   sizes: ...                 # ModelSizes: fixed sizes, or width/height ranges and multiple-of; max-crop
 *   quality:                   # optional; absent: no quality key is sent
 *     parameter: mode          #   "mode" for Leonardo's own models, "quality" for partner models (§1.1)
 *     low: FAST                #   the value sent for each request quality (all four are required)
 *     medium: FAST
 *     high: ULTRA
 *     auto: FAST
 *   max-quantity: 8            # most images one create may ask for (quantity); a request for more is not sent here
 *   seed-max: 2147483647       # optional; absent: the model takes no seed and none is sent. A request seed above it
 *                              #   is not sent either (the images are made with a random seed)
 *   prompt-max-length: 2000    # characters; a longer prompt is not sent here
 *   negative-prompt: false     # true: sent as negative_prompt (Phoenix family only); false: appended to the
 *                              #   prompt as "Avoid: ..." (as for OpenAI)
 *   style-ids:                 # optional: request style → the style UUID sent in style_ids (each model accepts
 *     default: 111dc692-...    #   only the UUIDs of its own page); default: sent when the request names none or
 *     CINEMATIC: a5632c7c-...  #   one not listed; without default such a request sends no style
 *   extra:                     # optional: parameters sent as they are, e.g. prompt_enhance: "OFF" (quote OFF/ON:
 *     prompt_enhance: "OFF"    #   unquoted YAML reads them as booleans)
 * </pre>
 * Immutable and thread-safe.
 *
 * @param sizes           the accepted sizes
 * @param quality         the quality mapping, or empty
 * @param maxQuantity     the most images per create, 1..8
 * @param seedMax         the largest seed the model takes, or empty when it takes none
 * @param maxPromptLength the longest prompt, in characters
 * @param negativePrompt  whether {@code negative_prompt} is sent (else the negative prompt is appended to the prompt)
 * @param styleIds        request style (upper case) → style UUID
 * @param defaultStyleId  the style UUID sent when the request's style is none or unlisted, or empty
 * @param extra           parameters sent as they are (strings, numbers, booleans)
 */
public record ModelParameters(ModelSizes sizes, Optional<Quality> quality, int maxQuantity, Optional<Long> seedMax,
                              int maxPromptLength, boolean negativePrompt, Map<String, String> styleIds,
                              Optional<String> defaultStyleId, Map<String, Object> extra) {

    /**
     * The request quality mapped to one model parameter.
     *
     * @param parameter {@code mode} or {@code quality}
     * @param values    {@code low|medium|high|auto} → the value sent
     */
    public record Quality(String parameter, Map<String, String> values) {
        public Quality {
            values = Map.copyOf(values);
        }
    }

    /** The request qualities ({@link ImageRequest#quality()}). */
    static final List<String> QUALITIES = List.of("low", "medium", "high", "auto");
    /** The parameters the router sets itself: {@code extra:} may not name them. */
    static final Set<String> MAPPED = Set.of("prompt", "negative_prompt", "width", "height", "quantity", "seed", "style_ids",
            "mode", "quality");
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern PARAMETER = Pattern.compile("[a-z][a-z0-9_]*");

    public ModelParameters {
        styleIds = Map.copyOf(styleIds);
        extra = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** Reads {@code parameters:} of a provider file; problems go to the node's error list. */
    static ModelParameters read(ConfigNode provider) {
        ConfigNode node = provider.child("parameters");
        ModelSizes sizes = ModelSizes.read(node);
        Optional<Quality> quality = Optional.empty();
        if (node.has("quality")) {
            ConfigNode q = node.child("quality");
            String parameter = q.oneOf("parameter", "quality", List.of("mode", "quality"));
            Map<String, String> values = new LinkedHashMap<>();
            for (String level : QUALITIES) {
                Optional<String> value = q.optionalString(level);
                if (value.isEmpty()) {
                    q.problem(level, "(none)", "the " + parameter + " value sent for quality " + level);
                } else {
                    values.put(level, value.get());
                }
            }
            quality = Optional.of(new Quality(parameter, values));
        }
        int maxQuantity = node.integer("max-quantity", 4, 1, 8);
        Optional<Long> seedMax = Optional.empty();
        if (node.has("seed-max")) {
            seedMax = Optional.of(node.longValue("seed-max", Integer.MAX_VALUE, 0, Long.MAX_VALUE));
        }
        int maxPrompt = node.integer("prompt-max-length", 1500, 1, 1_000_000);
        boolean negative = node.bool("negative-prompt", false);
        Map<String, String> styles = new LinkedHashMap<>();
        Optional<String> defaultStyle = Optional.empty();
        ConfigNode styleNode = node.child("style-ids");
        for (String style : styleNode.keys()) {
            Optional<String> id = styleNode.optionalString(style);
            if (id.isEmpty() || !UUID.matcher(id.get()).matches()) {
                styleNode.problem(style, id.orElse("(none)"), "a style UUID (shared/specs/leonardo/WIRE.md §7)");
            } else if (style.equals("default")) {
                defaultStyle = id;
            } else {
                styles.put(style.toUpperCase(Locale.ROOT), id.get());
            }
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        ConfigNode extraNode = node.child("extra");
        for (String key : extraNode.keys()) {
            if (!PARAMETER.matcher(key).matches() || MAPPED.contains(key)) {
                extraNode.problem(key, key, "a parameter name the router does not set itself (it sets " + MAPPED + ")");
                continue;
            }
            extraNode.scalar(key).ifPresent(v -> extra.put(key, v));
        }
        return new ModelParameters(sizes, quality, maxQuantity, seedMax, maxPrompt, negative, styles, defaultStyle, extra);
    }

    /**
     * Why {@code request} cannot be sent to this model, if it cannot: a prompt (with the negative prompt appended when
     * the model takes none) or negative prompt over {@link #maxPromptLength()}, a transparent background (no v2 image
     * model documents one), more images than {@link #maxQuantity()}, or a size no accepted size is near enough to
     * ({@link ModelSizes#choose}).
     *
     * @param label names the provider in the reason, e.g. {@code leonardo-flux-pro-2 (flux-pro-2.0)}
     */
    Optional<Unsupported> unsupported(ImageRequest request, String label) {
        if (length(prompt(request)) > maxPromptLength) {
            return Optional.of(new Unsupported("prompt", "prompt longer than " + label + "'s " + maxPromptLength
                    + " characters" + (negativePrompt || request.negativePrompt().isEmpty() ? "" : " (with the negative prompt)")));
        }
        if (negativePrompt && request.negativePrompt().map(n -> length(n) > maxPromptLength).orElse(false)) {
            return Optional.of(new Unsupported("negative_prompt", "negative_prompt longer than " + label + "'s "
                    + maxPromptLength + " characters"));
        }
        if (ImageRequest.BACKGROUND_TRANSPARENT.equals(request.background())) {
            return Optional.of(new Unsupported("background", label + " cannot make transparent backgrounds"));
        }
        if (request.n() > maxQuantity) {
            return Optional.of(new Unsupported("n", label + " makes at most " + maxQuantity + " images per request"));
        }
        if (sizes.choose(request.width(), request.height()).isEmpty()) {
            return Optional.of(new Unsupported("size", label + " has no size near " + request.width() + "x" + request.height()
                    + " (its sizes: " + sizes.describe() + "; at most " + Math.round(sizes.maxCrop() * 100) + "% may be cropped)"));
        }
        return Optional.empty();
    }

    /**
     * The {@code parameters} object for {@code request}, keys in a stable order: prompt, negative_prompt, width,
     * height, quantity, the quality key, seed, style_ids, then {@link #extra()}.
     *
     * @throws IllegalArgumentException when the request is {@link #unsupported} (callers check that first)
     */
    Map<String, Object> of(ImageRequest request) {
        int[] size = sizes.choose(request.width(), request.height())
                .orElseThrow(() -> new IllegalArgumentException("no size of this model is near " + request.width() + "x"
                        + request.height()));
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("prompt", prompt(request));
        if (negativePrompt) {
            request.negativePrompt().ifPresent(n -> p.put("negative_prompt", n));
        }
        p.put("width", size[0]);
        p.put("height", size[1]);
        p.put("quantity", request.n());
        quality.ifPresent(q -> p.put(q.parameter(), q.values().getOrDefault(request.quality(), q.values().get("auto"))));
        seedMax.ifPresent(max -> request.seed().filter(s -> s >= 0 && s <= max).ifPresent(s -> p.put("seed", s)));
        Optional<String> style = request.style().map(s -> styleIds.get(s.toUpperCase(Locale.ROOT))).or(() -> defaultStyleId);
        style.ifPresent(id -> p.put("style_ids", List.of(id)));
        p.putAll(extra);
        return p;
    }

    private String prompt(ImageRequest request) {
        return negativePrompt ? request.prompt()
                : request.negativePrompt().map(n -> request.prompt() + "\nAvoid: " + n).orElse(request.prompt());
    }

    private static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
