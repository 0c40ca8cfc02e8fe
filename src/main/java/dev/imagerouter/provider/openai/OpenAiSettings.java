package dev.imagerouter.provider.openai;

import dev.imagerouter.config.ConfigNode;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * OpenAI-specific settings of one provider file.
 *
 * @param connectTimeout TCP connect timeout; default 5 s
 * @param prices         USD per image by {@code <quality>.<size>} (e.g. {@code medium.1024x1024}), for the
 *                       cost estimate; gpt-image-1 prices from shared/specs/openai/WIRE.md §3
 *                       (https://developers.openai.com/api/docs/models/gpt-image-1)
 */
public record OpenAiSettings(Duration connectTimeout, Map<String, BigDecimal> prices) {

    /** Sizes gpt-image-1 accepts (shared/specs/openai/WIRE.md §1.1). */
    public static final String[] SIZES = {"1024x1024", "1536x1024", "1024x1536"};

    public static OpenAiSettings read(ConfigNode node) {
        Map<String, BigDecimal> prices = new LinkedHashMap<>();
        ConfigNode priceNode = node.child("prices");
        for (String quality : priceNode.keys()) {
            ConfigNode row = priceNode.child(quality);
            for (String size : row.keys()) {
                row.bigDecimal(size).ifPresent(p -> prices.put(quality + "." + size, p));
            }
        }
        return new OpenAiSettings(node.duration("connect-timeout", Duration.ofSeconds(5)), Map.copyOf(prices));
    }
}
