package dev.imagerouter.credits;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.routing.Chain;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.RoutingListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Every PAID generation (RoutingListener.onPaid: once per generation the provider charged for,
 * whether its images reached a client or the result cache or not) is counted:
 *   - image_router_paid_generations_total{provider, used="true"|"false"};
 *   - its cost, when reported or estimated in USD, in image_router_cost_usd_total{provider}: OpenAI
 *     from the answer's usage and token prices (the per-image price table when no usage came), Leonardo
 *     only when it reports cost.unit DOLLARS (PAYG plans). Leonardo credits are not dollars and go
 *     to the credit balance instead (CreditMonitor). Cache hits cost nothing and are not counted.
 * Daily budgets are DailyBudgets (held by reservation before each call).
 *
 * Counters are registered at 0 for every provider of the chain (both values of used) at startup and
 * within 5 s of a reload, so that increase() in the alert rules sees the first one.
 */
/** Counts paid generations and their USD cost per provider. Thread-safe. */
@Singleton
public class CostTracker implements RoutingListener {

    private final RunningRouter runtime;
    private final MeterRegistry meters;
    private final ScheduledExecutorService scheduler;
    private final AtomicLong metersForVersion = new AtomicLong(-1);

    public CostTracker(RunningRouter runtime, MeterRegistry meters,
                       @Named("router-scheduler") ScheduledExecutorService scheduler) {
        this.runtime = runtime;
        this.meters = meters;
        this.scheduler = scheduler;
    }

    @EventListener
    void onStartup(ServerStartupEvent event) {
        ensureMeters(runtime.chain());
        scheduler.scheduleWithFixedDelay(() -> ensureMeters(runtime.chain()), 5, 5, TimeUnit.SECONDS);
    }

    @Override
    public void onPaid(ProviderHandle provider, ImageRequest request, Optional<ProviderResult.Cost> cost, boolean used) {
        paid(provider.name(), used).increment();
        if (cost.isPresent() && ProviderResult.Cost.USD.equals(cost.get().unit()) && cost.get().amount().signum() > 0) {
            counter(provider.name()).increment(cost.get().amount().doubleValue());
        }
    }

    private void ensureMeters(Chain chain) {
        if (metersForVersion.getAndSet(chain.version()) == chain.version()) {
            return;
        }
        for (ProviderHandle h : chain.providers()) {
            counter(h.name());
            paid(h.name(), true);
            paid(h.name(), false);
        }
    }

    private Counter counter(String provider) {
        return Counter.builder(MetricNames.COST_USD)
                .description("Spend in USD of paid generations (OpenAI from usage or the price table, Leonardo when it reports dollars)")
                .tags("provider", provider)
                .register(meters);
    }

    private Counter paid(String provider, boolean used) {
        return Counter.builder(MetricNames.PAID_GENERATIONS)
                .description("Paid generations; used=false when their images reached neither a client nor the result cache")
                .tags("provider", provider, "used", Boolean.toString(used))
                .register(meters);
    }
}
