package dev.imagerouter.credits;

import dev.imagerouter.routing.ProviderGate;
import dev.imagerouter.routing.ProviderHandle;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * Skips a provider whose money has run out: {@code CREDITS} while its credit balance is below
 * skip-below (until a check shows it back above skip-below + hysteresis), {@code BUDGET} while its
 * estimated spend today has reached daily-budget-usd. Two map lookups per call; thread-safe.
 */
@Singleton
public class SpendGate implements ProviderGate {

    /** Trail reason while the balance is below skip-below. */
    public static final String CREDITS = "CREDITS";
    /** Trail reason while the daily budget is spent. */
    public static final String BUDGET = "BUDGET";

    private final CreditMonitor credits;
    private final CostTracker costs;

    public SpendGate(CreditMonitor credits, CostTracker costs) {
        this.credits = credits;
        this.costs = costs;
    }

    @Override
    public Optional<String> skipReason(ProviderHandle provider) {
        if (credits.skipping(provider.name())) {
            return Optional.of(CREDITS);
        }
        if (costs.budgetSpent(provider)) {
            return Optional.of(BUDGET);
        }
        return Optional.empty();
    }
}
