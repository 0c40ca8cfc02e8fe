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
 * with a balance; {@code spent_today_usd} (settled, UTC day) for every provider and {@code spent_today_credits} for
 * providers with a balance. Thread-safe.
 */
@Singleton
public class SpendStatus implements ProviderStatusContributor {

    private final CreditMonitor credits;
    private final DailyBudgets budgets;

    public SpendStatus(CreditMonitor credits, DailyBudgets budgets) {
        this.credits = credits;
        this.budgets = budgets;
    }

    @Override
    public Map<String, Object> status(ProviderHandle provider) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (CreditSettings.reportsBalance(provider.config().type())) {
            credits.balance(provider.name()).ifPresent(b -> m.put("credit_balance", b));
            m.put("credit_level", credits.level(provider.name()).name());
            credits.lastCheck(provider.name()).ifPresent(t -> m.put("credit_checked_at", t.toString()));
            m.put("spent_today_credits", budgets.spentToday(provider.name(), DailySpend.CREDITS));
        }
        m.put("spent_today_usd", budgets.spentToday(provider.name(), DailySpend.USD));
        return m;
    }
}
