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
 * providers with a balance; {@code daily_budget_usd} and {@code daily_budget_credits} (the provider file's
 * {@code daily-budget-usd} / {@code daily-budget-credits}) when set. Thread-safe.
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
            budgets.settings(provider).dailyBudgetCredits().ifPresent(b -> m.put("daily_budget_credits", b));
        }
        m.put("spent_today_usd", budgets.spentToday(provider.name(), DailySpend.USD));
        budgets.settings(provider).dailyBudgetUsd().ifPresent(b -> m.put("daily_budget_usd", b));
        return m;
    }
}
