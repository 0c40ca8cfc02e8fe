package dev.imagerouter.credits;

import dev.imagerouter.routing.ProviderGate;
import dev.imagerouter.routing.ProviderHandle;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * Skips a provider whose credits have run out: {@code CREDITS} while its credit balance is below
 * skip-below (until a check shows it back above skip-below + hysteresis). Daily budgets are held by
 * {@link DailyBudgets} before each call (trail reason {@code BUDGET}). One map lookup per call; thread-safe.
 */
@Singleton
public class SpendGate implements ProviderGate {

    /** Trail reason while the balance is below skip-below. */
    public static final String CREDITS = "CREDITS";
    private final CreditMonitor credits;

    public SpendGate(CreditMonitor credits) {
        this.credits = credits;
    }

    @Override
    public Optional<String> skipReason(ProviderHandle provider) {
        if (credits.skipping(provider.name())) {
            return Optional.of(CREDITS);
        }
        return Optional.empty();
    }
}
