package dev.imagerouter.provider;

import dev.imagerouter.configtree.ConfigNode;

import java.time.Duration;

/**
 * The model lifecycle check of a provider whose models can be retired (type {@code openai}:
 * {@code GET /v1/models/{model}}, whose answer also carries the model's {@code shutdown_date},
 * shared/specs/openai/GPT-IMAGE-2.md §6; type {@code leonardo-v2}: {@code GET /api/rest/v2/models}, for a file
 * that names its {@code catalog-id} or {@code catalog-name}), from its provider file:
 * <pre>
 * model-check:
 *   interval: 24h   # once at startup, then this often
 *   timeout: 10s    # a check without an answer by then counts as failed (the model's state is kept)
 * </pre>
 *
 * @param interval time between scheduled checks, at least 100 ms
 * @param timeout  longest wait for one check
 */
public record ModelCheckSettings(Duration interval, Duration timeout) {

    /** Provider types with a model lookup (shared/specs/openai/WIRE.md §0: check the model before relying on it). */
    public static final String CHECKED_TYPE = "openai";

    /**
     * Every provider type with a model check: OpenAI's lookup, and Leonardo v2's models list
     * ({@code GET /api/rest/v2/models}, shared/specs/leonardo/UPDATES-2026.md §1.2), read for files that name their
     * {@code catalog-id} or {@code catalog-name}.
     */
    public static final java.util.Set<String> CHECKED_TYPES = java.util.Set.of(CHECKED_TYPE, "leonardo-v2");

    /** Whether files of {@code type} have a model check ({@code model-check:}). */
    public static boolean checked(String type) {
        return CHECKED_TYPES.contains(type);
    }

    public static final Duration DEFAULT_INTERVAL = Duration.ofHours(24);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** Reads {@code model-check:} of a provider file; problems go to the node's error list. */
    public static ModelCheckSettings read(ConfigNode provider, String type) {
        if (!checked(type)) {
            if (provider.has("model-check")) {
                provider.problem("model-check", "(a map)", "no model-check block: only providers of type "
                        + String.join(" or ", new java.util.TreeSet<>(CHECKED_TYPES)) + " have a model lookup");
            }
            return new ModelCheckSettings(DEFAULT_INTERVAL, DEFAULT_TIMEOUT);
        }
        ConfigNode node = provider.child("model-check");
        return new ModelCheckSettings(node.duration("interval", DEFAULT_INTERVAL, Duration.ofMillis(100)),
                node.positiveDuration("timeout", DEFAULT_TIMEOUT));
    }
}
