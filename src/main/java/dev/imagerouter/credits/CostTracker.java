package dev.imagerouter.credits;

import dev.imagerouter.alerts.Alert;
import dev.imagerouter.alerts.AlertService;
import dev.imagerouter.config.RouterRuntime;
import dev.imagerouter.metrics.MetricNames;
import dev.imagerouter.provider.CreditSettings;
import dev.imagerouter.provider.ImageRequest;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderResult;
import dev.imagerouter.routing.Chain;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.RoutingListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Cost: every successful generation whose provider reported or we estimated a cost in USD adds it
 * to image_router_cost_usd_total{provider} — OpenAI from the per-image price table in its provider
 * file (OpenAiProvider puts it in ProviderResult.cost), Leonardo only when it reports cost.unit
 * DOLLARS (PAYG plans); Leonardo credits are not dollars and go to the credit balance instead
 * (CreditMonitor). Cache hits cost nothing and are not counted.
 *
 * Budget: with daily-budget-usd set, the provider's spend in the current UTC day (DailySpend, from
 * the injected clock) is compared with it; the generation that reaches the budget raises one
 * BUDGET_EXCEEDED alert, and SpendGate skips the provider (reason BUDGET) until the day ends.
 *
 * Counters are registered at 0 for every provider of the chain at startup and within 5 s of a
 * reload, so that increase() in the alert rules sees the first cost.
 */
/** Tracks estimated USD spend per provider and its daily budget. Thread-safe. */
@Singleton
public class CostTracker implements RoutingListener {

    private final RouterRuntime runtime;
    private final AlertService alerts;
    private final MeterRegistry meters;
    private final ScheduledExecutorService scheduler;
    private final DailySpend daily;
    private final Map<String, Budget> budgets = new ConcurrentHashMap<>();
    private final AtomicLong metersForVersion = new AtomicLong(-1);
    private final Set<String> budgetGauges = ConcurrentHashMap.newKeySet();

    /** The configured budget of a provider, parsed once per configuration, as the gauge reads it. */
    private record Budget(ProviderConfig source, Optional<BigDecimal> usd) {
    }

    public CostTracker(RouterRuntime runtime, AlertService alerts, MeterRegistry meters, Clock clock,
                       @Named("router-scheduler") ScheduledExecutorService scheduler) {
        this.runtime = runtime;
        this.alerts = alerts;
        this.meters = meters;
        this.scheduler = scheduler;
        this.daily = new DailySpend(clock);
    }

    @EventListener
    void onStartup(ServerStartupEvent event) {
        ensureMeters(runtime.chain());
        scheduler.scheduleWithFixedDelay(() -> ensureMeters(runtime.chain()), 5, 5, TimeUnit.SECONDS);
    }

    @Override
    public void onSuccess(ProviderHandle provider, ImageRequest request, ProviderResult result) {
        Optional<ProviderResult.Cost> cost = result.cost();
        if (cost.isEmpty() || !ProviderResult.Cost.USD.equals(cost.get().unit()) || cost.get().amount().signum() <= 0) {
            return;
        }
        BigDecimal usd = cost.get().amount();
        counter(provider.name()).increment(usd.doubleValue());
        DailySpend.Added added = daily.add(provider.name(), usd);
        Optional<BigDecimal> budget = budget(provider);
        if (budget.isPresent() && added.before().compareTo(budget.get()) < 0 && added.after().compareTo(budget.get()) >= 0) {
            alerts.raise(Alert.firing("BUDGET_EXCEEDED", Alert.Severity.WARNING, provider.name(), added.after(), budget.get(),
                    "estimated spend today (UTC) " + added.after().toPlainString() + " USD reached daily-budget-usd "
                            + budget.get().toPlainString() + "; the router skips this provider until the day ends"));
        }
    }

    /** Whether the provider has a daily budget and today's estimated spend has reached it. */
    public boolean budgetSpent(ProviderHandle provider) {
        Optional<BigDecimal> budget = budget(provider);
        return budget.isPresent() && daily.today(provider.name()).compareTo(budget.get()) >= 0;
    }

    /** Today's (UTC) estimated spend of a provider, in USD. */
    public BigDecimal spentToday(String provider) {
        return daily.today(provider);
    }

    private Optional<BigDecimal> budget(ProviderHandle provider) {
        Budget b = budgets.get(provider.name());
        if (b != null && b.source() == provider.config()) {
            return b.usd();
        }
        // reading a ConfigNode records into its effective-settings tree: one reader per node at a time
        synchronized (provider.config().settings()) {
            b = budgets.get(provider.name());
            if (b == null || b.source() != provider.config()) {
                b = new Budget(provider.config(), CreditSettings.read(provider.config().settings(), provider.config().type())
                        .dailyBudgetUsd());
                budgets.put(provider.name(), b);
            }
            return b.usd();
        }
    }

    private void ensureMeters(Chain chain) {
        if (metersForVersion.getAndSet(chain.version()) == chain.version()) {
            return;
        }
        for (ProviderHandle h : chain.providers()) {
            counter(h.name());
            String name = h.name();
            if (budget(h).isPresent() && budgetGauges.add(name)) {
                Gauge.builder(MetricNames.DAILY_BUDGET_USD, () -> budgetValue(name))
                        .description("Configured daily budget in USD")
                        .tags("provider", name).strongReference(true).register(meters);
            }
        }
    }

    private double budgetValue(String provider) {
        Budget b = budgets.get(provider);
        return b == null ? Double.NaN : b.usd().map(BigDecimal::doubleValue).orElse(Double.NaN);
    }

    private Counter counter(String provider) {
        return Counter.builder(MetricNames.COST_USD)
                .description("Estimated spend in USD (OpenAI from the price table, Leonardo when it reports dollars)")
                .tags("provider", provider)
                .register(meters);
    }
}
