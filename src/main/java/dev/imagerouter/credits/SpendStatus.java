package dev.imagerouter.credits;

import dev.imagerouter.provider.CreditSettings;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.ProviderStatusContributor;
import jakarta.inject.Singleton;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adds to each provider's entry in {@code GET /admin/chain}: {@code credit_balance} (a decimal, while
 * known), {@code credit_level} (OK, WARN, CRITICAL, SKIP) and {@code credit_checked_at} for providers
 * with a balance; {@code spent_today_usd} for every provider. Thread-safe.
 */
@Singleton
public class SpendStatus implements ProviderStatusContributor {

    private final CreditMonitor credits;
    private final CostTracker costs;

    public SpendStatus(CreditMonitor credits, CostTracker costs) {
        this.credits = credits;
        this.costs = costs;
    }

    @Override
    public Map<String, Object> status(ProviderHandle provider) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (CreditSettings.BALANCE_TYPE.equals(provider.config().type())) {
            credits.balance(provider.name()).ifPresent(b -> m.put("credit_balance", b));
            m.put("credit_level", credits.level(provider.name()).name());
            credits.lastCheck(provider.name()).ifPresent(t -> m.put("credit_checked_at", t.toString()));
        }
        m.put("spent_today_usd", costs.spentToday(provider.name()));
        return m;
    }
}
