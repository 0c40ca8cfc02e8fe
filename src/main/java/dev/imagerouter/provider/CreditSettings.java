package dev.imagerouter.provider;

import dev.imagerouter.configtree.ConfigNode;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;

/**
 * What the router watches about a provider's money, from its provider file:
 * <pre>
 * credits:                 # providers with a credit balance (types leonardo, leonardo-v2) only
 *   check-interval: 5m     # GET /me this often (and once at startup)
 *   check-timeout: 10s     # a check without an answer by then counts as failed
 *   warn-below: 2000       # thresholds in the balance's unit (API credits; USD on PAYG plans)
 *   critical-below: 500
 *   skip-below: 50         # below this the router skips the provider
 *   hysteresis: 100        # an alert resolves (and skipping ends) only above threshold + hysteresis
 * </pre>
 * Daily budgets are {@link BudgetSettings}.
 * Every threshold is optional; those given must be in order: skip-below &lt; critical-below &lt; warn-below.
 *
 * @param checkInterval  time between scheduled balance checks, at least 100 ms
 * @param checkTimeout   longest wait for one balance check
 * @param warnBelow      balance below which a warning alert fires, or empty
 * @param criticalBelow  balance below which a critical alert fires, or empty
 * @param skipBelow      balance below which the provider is skipped (trail reason {@code CREDITS}), or empty
 * @param hysteresis     margin above a threshold the balance must reach before its alert resolves, never negative
 */
public record CreditSettings(Duration checkInterval, Duration checkTimeout, Optional<BigDecimal> warnBelow,
                             Optional<BigDecimal> criticalBelow, Optional<BigDecimal> skipBelow, BigDecimal hysteresis) {

    /** Provider types that report a credit balance (Leonardo {@code GET /me}, shared/specs/leonardo/WIRE.md §4). */
    public static final String BALANCE_TYPE = "leonardo";

    /** Every provider type with a credit balance: Leonardo v1 and v2 files spend the same key's balance (UPDATES-2026.md §3). */
    public static final java.util.Set<String> BALANCE_TYPES = java.util.Set.of(BALANCE_TYPE, "leonardo-v2");

    /** Whether files of {@code type} have a credit balance ({@code credits:}), report costs in API credits and take daily credit budgets. */
    public static boolean reportsBalance(String type) {
        return BALANCE_TYPES.contains(type);
    }

    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofMinutes(5);
    public static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(10);

    /** Reads {@code credits:} of a provider file; problems go to the node's error list. */
    public static CreditSettings read(ConfigNode provider, String type) {
        if (!reportsBalance(type)) {
            if (provider.has("credits")) {
                provider.problem("credits", "(a map)", "no credits block: only providers of type "
                        + String.join(" or ", new java.util.TreeSet<>(BALANCE_TYPES)) + " report a credit balance");
            }
            return new CreditSettings(DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_TIMEOUT, Optional.empty(), Optional.empty(),
                    Optional.empty(), BigDecimal.ZERO);
        }
        ConfigNode node = provider.child("credits");
        Duration interval = node.duration("check-interval", DEFAULT_CHECK_INTERVAL, Duration.ofMillis(100));
        Duration timeout = node.positiveDuration("check-timeout", DEFAULT_CHECK_TIMEOUT);
        Optional<BigDecimal> warn = node.bigDecimal("warn-below");
        Optional<BigDecimal> critical = node.bigDecimal("critical-below");
        Optional<BigDecimal> skip = node.bigDecimal("skip-below");
        inOrder(node, "skip-below", skip, "critical-below", critical);
        inOrder(node, "critical-below", critical, "warn-below", warn);
        if (critical.isEmpty()) {
            inOrder(node, "skip-below", skip, "warn-below", warn);
        }
        BigDecimal hysteresis = node.bigDecimal("hysteresis").orElse(BigDecimal.ZERO);
        if (hysteresis.signum() < 0) {
            node.problem("hysteresis", hysteresis.toPlainString(), "a margin of 0 or more");
            hysteresis = BigDecimal.ZERO;
        }
        return new CreditSettings(interval, timeout, warn, critical, skip, hysteresis);
    }

    private static void inOrder(ConfigNode node, String lowerKey, Optional<BigDecimal> lower, String higherKey,
                                Optional<BigDecimal> higher) {
        if (lower.isPresent() && higher.isPresent() && lower.get().compareTo(higher.get()) >= 0) {
            node.problem(lowerKey, lower.get().toPlainString(), "less than " + higherKey + " ("
                    + higher.get().toPlainString() + "); thresholds must be skip-below < critical-below < warn-below");
        }
    }

    /** Whether any balance threshold is configured. */
    public boolean hasThresholds() {
        return warnBelow.isPresent() || criticalBelow.isPresent() || skipBelow.isPresent();
    }
}
