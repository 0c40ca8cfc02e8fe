package dev.imagerouter.provider;

import dev.imagerouter.vocabulary.ProviderResult;

import dev.imagerouter.configtree.ConfigNode;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * A provider's daily spend ceilings and the estimate reserved against them before each call, from
 * its provider file:
 * <pre>
 * daily-budget-usd: 25          # any provider: ceiling on today's (UTC) spend reported in USD
 * daily-budget-credits: 5000    # types leonardo, leonardo-v2 only: ceiling on today's spend reported in API credits
 * expected-cost-per-image:      # types leonardo, leonardo-v2 only: what one image is expected to cost until Leonardo
 *   credits: 8                  #   has reported a cost (later: the last reported cost per image)
 *   usd: 0.02                   #   (PAYG plans, whose costs come in dollars)
 * </pre>
 * A budget holds against the costs reported in its own unit only: on a subscription plan Leonardo
 * reports API credits ({@code cost.unit CREDITS}), on PAYG dollars (shared/specs/leonardo/WIRE.md §2.3),
 * OpenAI's are always USD (computed from its {@code usage} or per-image {@code prices:}). OpenAI
 * needs no expected cost here: it comes from the file's per-image price table.
 *
 * @param dailyBudgetUsd         USD per UTC day after which the provider is skipped (reason {@code BUDGET}), or empty
 * @param dailyBudgetCredits     API credits per UTC day after which the provider is skipped, or empty
 * @param expectedCreditsPerImage starting estimate in API credits per image, or empty (then nothing is reserved
 *                               in credits until the first reported cost)
 * @param expectedUsdPerImage    starting estimate in USD per image, or empty
 */
public record BudgetSettings(Optional<BigDecimal> dailyBudgetUsd, Optional<BigDecimal> dailyBudgetCredits,
                             Optional<BigDecimal> expectedCreditsPerImage, Optional<BigDecimal> expectedUsdPerImage) {

    /** No budgets, no estimates. */
    public static final BudgetSettings NONE = new BudgetSettings(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty());

    /** Reads the budget keys of a provider file; problems go to the node's error list. */
    public static BudgetSettings read(ConfigNode provider, String type) {
        Optional<BigDecimal> usd = positive(provider, "daily-budget-usd", "a positive amount in USD (or no key)");
        boolean credits = CreditSettings.reportsBalance(type);
        if (!credits) {
            for (String key : new String[]{"daily-budget-credits", "expected-cost-per-image"}) {
                if (provider.has(key)) {
                    provider.problem(key, "(set)", "no " + key + ": only providers of type "
                            + String.join(" or ", new java.util.TreeSet<>(CreditSettings.BALANCE_TYPES))
                            + " report costs in API credits or without a price in advance");
                }
            }
            return new BudgetSettings(usd, Optional.empty(), Optional.empty(), Optional.empty());
        }
        Optional<BigDecimal> budgetCredits = positive(provider, "daily-budget-credits",
                "a positive amount of API credits (or no key)");
        ConfigNode expected = provider.child("expected-cost-per-image");
        Optional<BigDecimal> expectedCredits = positive(expected, "credits", "a positive amount of API credits per image");
        Optional<BigDecimal> expectedUsd = positive(expected, "usd", "a positive amount in USD per image");
        return new BudgetSettings(usd, budgetCredits, expectedCredits, expectedUsd);
    }

    /** The budget in {@code unit} ({@link ProviderResult.Cost#USD} or {@link ProviderResult.Cost#CREDITS}), or empty. */
    public Optional<BigDecimal> budget(String unit) {
        return ProviderResult.Cost.CREDITS.equals(unit) ? dailyBudgetCredits : dailyBudgetUsd;
    }

    /** The configured starting estimate per image in {@code unit}, or empty. */
    public Optional<BigDecimal> expectedPerImage(String unit) {
        return ProviderResult.Cost.CREDITS.equals(unit) ? expectedCreditsPerImage : expectedUsdPerImage;
    }

    /** The config key of the budget in {@code unit}. */
    public static String budgetKey(String unit) {
        return ProviderResult.Cost.CREDITS.equals(unit) ? "daily-budget-credits" : "daily-budget-usd";
    }

    private static Optional<BigDecimal> positive(ConfigNode node, String key, String expected) {
        Optional<BigDecimal> v = node.bigDecimal(key);
        if (v.isPresent() && v.get().signum() <= 0) {
            node.problem(key, v.get().toPlainString(), expected);
            return Optional.empty();
        }
        return v;
    }
}
