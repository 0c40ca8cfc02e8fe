package dev.imagerouter.provider.openai;

import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.vocabulary.ProviderResult;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * OpenAI-specific settings of one provider file.
 *
 * @param connectTimeout        TCP connect timeout; default 5 s
 * @param prices                USD per image by {@code <quality>.<size>} (e.g. {@code medium.1024x1024}), used when an
 *                              answer carries no {@code usage}; gpt-image-2 prices from shared/specs/openai/GPT-IMAGE-2.md §5
 * @param tokenPrices           USD per 1M tokens ({@code token-prices:} text-input, image-input, image-output), or empty
 * @param sizes                 the model's size rules ({@code sizes:})
 * @param transparentBackground whether {@code background: transparent} is sent to this model ({@code transparent-background:},
 *                              default false: "preview" for gpt-image-2, refused to organisations without it)
 */
public record OpenAiSettings(Duration connectTimeout, Map<String, BigDecimal> prices, Optional<TokenPrices> tokenPrices,
                             SizeRules sizes, boolean transparentBackground) {

    /** The sizes of the per-image price table (OpenAI publishes prices for these only). */
    static final SizeRules PRICED_SIZES = new SizeRules(java.util.List.of(new int[]{1024, 1024}, new int[]{1536, 1024},
            new int[]{1024, 1536}), 1, Integer.MAX_VALUE, Double.MAX_VALUE, 1, Long.MAX_VALUE);
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    /**
     * USD per 1M tokens.
     *
     * @param textInput   prompt tokens
     * @param imageInput  input image tokens (0 for generations)
     * @param imageOutput output (image) tokens
     */
    public record TokenPrices(BigDecimal textInput, BigDecimal imageInput, BigDecimal imageOutput) {

        /** The cost of {@code usage} in USD: text in × text price + image in × image price + out × output price. */
        public BigDecimal cost(ProviderResult.Usage usage) {
            return textInput.multiply(BigDecimal.valueOf(usage.inputTextTokens()))
                    .add(imageInput.multiply(BigDecimal.valueOf(usage.inputImageTokens())))
                    .add(imageOutput.multiply(BigDecimal.valueOf(usage.outputTokens())))
                    .divide(MILLION, 8, RoundingMode.HALF_UP).stripTrailingZeros();
        }
    }

    public static OpenAiSettings read(ConfigNode node) {
        Map<String, BigDecimal> prices = new LinkedHashMap<>();
        ConfigNode priceNode = node.child("prices");
        for (String quality : priceNode.keys()) {
            ConfigNode row = priceNode.child(quality);
            for (String size : row.keys()) {
                row.bigDecimal(size).ifPresent(p -> prices.put(quality + "." + size, p));
            }
        }
        Optional<TokenPrices> tokenPrices = Optional.empty();
        if (node.has("token-prices")) {
            ConfigNode t = node.child("token-prices");
            Optional<BigDecimal> text = t.bigDecimal("text-input");
            Optional<BigDecimal> image = t.bigDecimal("image-input");
            Optional<BigDecimal> output = t.bigDecimal("image-output");
            if (text.isEmpty() || output.isEmpty()) {
                t.problem("image-output", output.orElse(null), "text-input and image-output in USD per 1M tokens");
            } else {
                tokenPrices = Optional.of(new TokenPrices(text.get(), image.orElse(BigDecimal.ZERO), output.get()));
            }
        }
        return new OpenAiSettings(node.duration("connect-timeout", Duration.ofSeconds(5)), Map.copyOf(prices), tokenPrices,
                SizeRules.read(node), node.bool("transparent-background", false));
    }

    /**
     * What an answer cost in USD: from {@code usage} at {@link #tokenPrices()} when both are there,
     * else from the per-image table: {@code images} × the price at {@code quality} ({@code auto} read as
     * {@code medium}, the quality it resolves to) and the priced size nearest to {@code size}.
     *
     * @param quality the quality the answer resolved, else the one asked for
     * @param size    {@code {width, height}} asked of the provider
     * @return empty when neither prices nor usage allow an estimate
     */
    Optional<BigDecimal> cost(Optional<ProviderResult.Usage> usage, String quality, int[] size, int images) {
        Optional<BigDecimal> fromTokens = usage.flatMap(u -> tokenPrices.map(p -> p.cost(u)));
        if (fromTokens.isPresent()) {
            return fromTokens;
        }
        int[] priced = PRICED_SIZES.nearest(size[0], size[1]);
        String row = "auto".equals(quality) ? "medium" : quality;
        return Optional.ofNullable(prices.get(row + "." + priced[0] + "x" + priced[1]))
                .map(p -> p.multiply(BigDecimal.valueOf(images)));
    }
}
