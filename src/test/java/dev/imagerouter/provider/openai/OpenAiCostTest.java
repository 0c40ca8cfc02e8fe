package dev.imagerouter.provider.openai;

import dev.imagerouter.vocabulary.ProviderResult;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What an OpenAI answer costs: from its usage at the file's token prices, else from the per-image table. */
class OpenAiCostTest {

    private static final OpenAiSettings.TokenPrices GPT_IMAGE_2 = new OpenAiSettings.TokenPrices(new BigDecimal("5.00"),
            new BigDecimal("8.00"), new BigDecimal("30.00"));
    private static final Map<String, BigDecimal> TABLE = Map.of("low.1024x1024", new BigDecimal("0.006"),
            "medium.1024x1024", new BigDecimal("0.053"), "medium.1536x1024", new BigDecimal("0.041"),
            "high.1536x1024", new BigDecimal("0.165"));
    private static final ProviderResult.Usage USAGE = new ProviderResult.Usage(40, 1767, 1807, 40, 0);

    private static OpenAiSettings settings(Optional<OpenAiSettings.TokenPrices> tokenPrices) {
        return new OpenAiSettings(Duration.ofSeconds(5), TABLE, tokenPrices, SizeRules.GPT_IMAGE_2, false);
    }

    @Test
    void usageAndTokenPrices_costIsTextInPlusImageInPlusOutputTokens() {
        // GPT-IMAGE-2.md §5's example: medium 1024x1024 with a 40-token prompt ≈ $0.0532
        Optional<BigDecimal> cost = settings(Optional.of(GPT_IMAGE_2)).cost(Optional.of(USAGE), "medium", new int[]{1024, 1024}, 1);
        assertEquals(0, new BigDecimal("0.05321").compareTo(cost.orElseThrow()), cost.toString());
        assertEquals(0, new BigDecimal("0.000008").compareTo(GPT_IMAGE_2.cost(new ProviderResult.Usage(1, 0, 1, 0, 1))));
    }

    @Test
    void noUsage_costIsThePerImageTable_timesImages_atTheNearestPricedSize() {
        OpenAiSettings settings = settings(Optional.of(GPT_IMAGE_2));
        // 1536x864 is priced as 1536x1024, the priced size nearest in aspect ratio; two images
        assertEquals(0, new BigDecimal("0.330").compareTo(
                settings.cost(Optional.empty(), "high", new int[]{1536, 864}, 2).orElseThrow()));
        // auto is priced as medium, the quality it resolves to
        assertEquals(0, new BigDecimal("0.053").compareTo(
                settings.cost(Optional.empty(), "auto", new int[]{1024, 1024}, 1).orElseThrow()));
    }

    @Test
    void usageButNoTokenPrices_fallsBackToTheTable_andNeitherMeansNoCost() {
        assertEquals(0, new BigDecimal("0.006").compareTo(
                settings(Optional.empty()).cost(Optional.of(USAGE), "low", new int[]{1024, 1024}, 1).orElseThrow()));
        assertEquals(Optional.empty(), settings(Optional.empty()).cost(Optional.empty(), "low", new int[]{1536, 1024}, 1));
    }
}
