package dev.imagerouter.provider;

import dev.imagerouter.configtree.ConfigNode;

import java.time.Duration;

/**
 * The model lifecycle check of a provider whose models can be retired (type {@code openai}:
 * {@code GET /v1/models/{model}}, whose answer also carries the model's {@code shutdown_date},
 * shared/specs/openai/GPT-IMAGE-2.md §6), from its provider file:
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

    public static final Duration DEFAULT_INTERVAL = Duration.ofHours(24);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** Reads {@code model-check:} of a provider file; problems go to the node's error list. */
    public static ModelCheckSettings read(ConfigNode provider, String type) {
        if (!CHECKED_TYPE.equals(type)) {
            if (provider.has("model-check")) {
                provider.problem("model-check", "(a map)", "no model-check block: only providers of type " + CHECKED_TYPE
                        + " have a model lookup");
            }
            return new ModelCheckSettings(DEFAULT_INTERVAL, DEFAULT_TIMEOUT);
        }
        ConfigNode node = provider.child("model-check");
        return new ModelCheckSettings(node.duration("interval", DEFAULT_INTERVAL, Duration.ofMillis(100)),
                node.positiveDuration("timeout", DEFAULT_TIMEOUT));
    }
}
