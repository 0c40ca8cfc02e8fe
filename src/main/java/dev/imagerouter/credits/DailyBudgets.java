package dev.imagerouter.credits;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.alerts.Alert;
import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.Leases;
import dev.imagerouter.alerts.AlertService;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.provider.BudgetSettings;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.routing.Chain;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.SpendReservations;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Daily spend ceilings
 * --------------------
 * Before each call that may be paid the router asks reserve(): the call is admitted while the
 * provider's spend today (UTC, settled + reserved in flight) is below each of its budgets
 * (daily-budget-usd against costs in USD, daily-budget-credits against costs in API credits), and
 * its expected cost is reserved; otherwise the router skips the provider with trail reason BUDGET,
 * without a call. Once the call's fate is known the router settles the reservation to the cost the
 * provider reported (or keeps the estimate when it reported none) or releases it when nothing was
 * paid. Concurrent requests therefore overshoot a budget by at most one call (see DailySpend).
 *
 * Expected cost of a call:
 *   - the provider's own price in advance (ImageProvider.expectedCost: OpenAI's per-image prices
 *     table x n, quality auto as medium);
 *   - else (Leonardo has no price in advance) the last cost per image the provider reported (its
 *     create answer's cost, in API credits or USD), x n;
 *   - else, before the first report, the provider file's expected-cost-per-image (credits, usd) x n;
 *   - else nothing is reserved (the budget still stops calls once the settled spend reaches it).
 *
 * The settlement that makes today's settled spend reach a budget raises one BUDGET_EXCEEDED alert.
 * Settled amounts go to <router.storage.dir>/spend/ (SpendJournal) and are read back at startup,
 * so a restart keeps today's spend. Without Redis each replica enforces its own reading of the
 * directory: spend another replica settles after this one started is not seen until the next day
 * file is read. With REDIS_URI the spend is counted in Redis for every replica (SharedSpend, via
 * reserveAsync), and this replica's own count is the fallback while Redis is down.
 */
/** The providers' daily spend ceilings, held by reservation before each call. Thread-safe. */
@Singleton
public class DailyBudgets implements SpendReservations {

    /** Sub-directory of router.storage.dir that holds the spend journal. */
    public static final String JOURNAL_DIR = "spend";

    private final RunningRouter runtime;
    private final AlertService alerts;
    private final MeterRegistry meters;
    private final ScheduledExecutorService scheduler;
    private final SpendJournal journal;
    private final DailySpend daily;
    /** Today's spend in Redis, shared by replicas (REDIS_URI); null without Redis. */
    private final SharedSpend shared;
    private final Map<String, Parsed> settings = new ConcurrentHashMap<>();
    private final Map<String, ProviderResult.Cost> lastPerImage = new ConcurrentHashMap<>();
    private final Set<String> gauges = ConcurrentHashMap.newKeySet();
    private final AtomicLong metersForVersion = new AtomicLong(-1);

    private record Parsed(ProviderConfig source, BudgetSettings settings) {
    }

    public DailyBudgets(RunningRouter runtime, AlertService alerts, MeterRegistry meters, Clock clock,
                        @Named("router-scheduler") ScheduledExecutorService scheduler, Cluster cluster, Leases leases,
                        @Named("storage-io") java.util.concurrent.ExecutorService storageIo) {
        this.runtime = runtime;
        this.alerts = alerts;
        this.meters = meters;
        this.scheduler = scheduler;
        Path dir = runtime.config().storage().dir().resolve(JOURNAL_DIR);
        this.journal = new SpendJournal(dir);
        this.daily = new DailySpend(clock, journal);
        daily.today("", DailySpend.USD); // reads today's journal now, not on a request's path
        this.shared = cluster.enabled() ? new SharedSpend(cluster, leases, clock, journal::read, storageIo) : null;
    }

    @EventListener
    void onStartup(ServerStartupEvent event) {
        ensureMeters(runtime.chain());
        scheduler.scheduleWithFixedDelay(() -> ensureMeters(runtime.chain()), 5, 5, TimeUnit.SECONDS);
    }

    @PreDestroy
    void close() {
        journal.close();
    }

    @Override
    public Optional<Reservation> reserve(ProviderHandle provider, ImageRequest request) {
        BudgetSettings s = settings(provider);
        Map<String, BigDecimal> budgets = new HashMap<>();
        s.dailyBudgetUsd().ifPresent(b -> budgets.put(DailySpend.USD, b));
        s.dailyBudgetCredits().ifPresent(b -> budgets.put(DailySpend.CREDITS, b));
        Map<String, BigDecimal> expected = expected(provider, request, s);
        String name = provider.name();
        int n = request.n();
        return daily.reserve(name, expected, budgets).map(hold -> new Reservation() {
            @Override
            public void settle(Optional<ProviderResult.Cost> actual) {
                actual.filter(c -> c.amount().signum() > 0).ifPresent(c -> lastPerImage.put(name,
                        new ProviderResult.Cost(c.amount().divide(BigDecimal.valueOf(n), 8, RoundingMode.HALF_UP)
                                .stripTrailingZeros(), c.unit())));
                for (DailySpend.Added added : hold.settle(actual)) {
                    alertIfReached(name, added, settings(provider));
                }
            }

            @Override
            public void release() {
                hold.release();
            }
        });
    }

    /**
     * With Redis up (REDIS_URI), today's spend is counted there for every replica (SharedSpend): the
     * call is admitted against the deployment's settled and reserved spend. Redis down or failing:
     * {@link #reserve}, this replica's own count.
     */
    @Override
    public java.util.concurrent.CompletableFuture<Optional<Reservation>> reserveAsync(ProviderHandle provider, ImageRequest request) {
        if (shared == null || !shared.use()) {
            return SpendReservations.super.reserveAsync(provider, request);
        }
        BudgetSettings s = settings(provider);
        Map<String, BigDecimal> budgets = new HashMap<>();
        s.dailyBudgetUsd().ifPresent(b -> budgets.put(DailySpend.USD, b));
        s.dailyBudgetCredits().ifPresent(b -> budgets.put(DailySpend.CREDITS, b));
        Map<String, BigDecimal> expected = expected(provider, request, s);
        String name = provider.name();
        int n = request.n();
        return shared.reserve(name, expected, budgets).thenApply(answer -> switch (answer.getKey()) {
            case BUDGET_REACHED -> Optional.<Reservation>empty();
            case UNAVAILABLE -> reserve(provider, request);
            case RESERVED -> Optional.<Reservation>of(new SharedReservation(provider, name, n, answer.getValue().orElseThrow()));
        });
    }

    /** One call's reservation in Redis; settled there and, like every settlement, in the journal. */
    private final class SharedReservation implements Reservation {
        private final ProviderHandle provider;
        private final String name;
        private final int n;
        private final SharedSpend.Hold hold;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        SharedReservation(ProviderHandle provider, String name, int n, SharedSpend.Hold hold) {
            this.provider = provider;
            this.name = name;
            this.n = n;
            this.hold = hold;
        }

        @Override
        public void settle(Optional<ProviderResult.Cost> actual) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            actual.filter(c -> c.amount().signum() > 0).ifPresent(c -> lastPerImage.put(name,
                    new ProviderResult.Cost(c.amount().divide(BigDecimal.valueOf(n), 8, RoundingMode.HALF_UP)
                            .stripTrailingZeros(), c.unit())));
            Map<String, BigDecimal> amounts = actual.isPresent() && actual.get().amount().signum() >= 0
                    ? Map.of(actual.get().unit(), actual.get().amount()) : hold.held();
            if (amounts.isEmpty()) {
                shared.release(hold);
            }
            amounts.forEach((unit, amount) -> {
                daily.add(name, unit, amount); // this replica's count and the journal (the durable record)
                shared.settle(hold, unit, amount).thenAccept(added -> added.ifPresent(a -> alertIfReached(name, a, settings(provider))));
            });
        }

        @Override
        public void release() {
            if (done.compareAndSet(false, true)) {
                shared.release(hold);
            }
        }
    }

    /** Today's (UTC) settled spend of a provider in {@code unit} ({@code USD} or {@code CREDITS}). */
    public BigDecimal spentToday(String provider, String unit) {
        return daily.today(provider, unit);
    }

    /** Today's (UTC) spend of a provider in {@code unit} reserved by calls in flight. */
    public BigDecimal reservedToday(String provider, String unit) {
        return daily.reserved(provider, unit);
    }

    /** What one call of {@code provider} for {@code request} is expected to cost, per unit (see the class comment). */
    Map<String, BigDecimal> expected(ProviderHandle provider, ImageRequest request, BudgetSettings s) {
        Optional<ProviderResult.Cost> priced = provider.provider().expectedCost(request);
        if (priced.isPresent()) {
            return Map.of(priced.get().unit(), priced.get().amount());
        }
        BigDecimal n = BigDecimal.valueOf(request.n());
        ProviderResult.Cost learned = lastPerImage.get(provider.name());
        if (learned != null) {
            return Map.of(learned.unit(), learned.amount().multiply(n));
        }
        Map<String, BigDecimal> m = new HashMap<>();
        for (String unit : List.of(DailySpend.USD, DailySpend.CREDITS)) {
            s.expectedPerImage(unit).ifPresent(perImage -> m.put(unit, perImage.multiply(n)));
        }
        return m;
    }

    private void alertIfReached(String provider, DailySpend.Added added, BudgetSettings s) {
        Optional<BigDecimal> budget = s.budget(added.unit());
        if (budget.isPresent() && added.before().compareTo(budget.get()) < 0 && added.after().compareTo(budget.get()) >= 0) {
            String unit = DailySpend.CREDITS.equals(added.unit()) ? "API credits" : "USD";
            alerts.raise(Alert.firing("BUDGET_EXCEEDED", Alert.Severity.WARNING, provider, added.after(), budget.get(),
                    "spend today (UTC) " + added.after().toPlainString() + " " + unit + " reached "
                            + BudgetSettings.budgetKey(added.unit()) + " " + budget.get().toPlainString()
                            + "; the router skips this provider until the day ends"));
        }
    }

    /** The provider's budget settings, parsed once per configuration (a reload brings a new ProviderConfig). */
    BudgetSettings settings(ProviderHandle provider) {
        Parsed p = settings.get(provider.name());
        if (p != null && p.source() == provider.config()) {
            return p.settings();
        }
        // parsed at load time; one writer of this provider's entry at a time
        synchronized (this) {
            p = settings.get(provider.name());
            if (p == null || p.source() != provider.config()) {
                p = new Parsed(provider.config(), provider.config().settings().budget());
                settings.put(provider.name(), p);
            }
            return p.settings();
        }
    }

    private void ensureMeters(Chain chain) {
        if (metersForVersion.getAndSet(chain.version()) == chain.version()) {
            return;
        }
        for (ProviderHandle h : chain.providers()) {
            BudgetSettings s = settings(h);
            String name = h.name();
            if (s.dailyBudgetUsd().isPresent() && gauges.add(name + "\t" + DailySpend.USD)) {
                Gauge.builder(MetricNames.DAILY_BUDGET_USD, () -> budgetValue(name, DailySpend.USD))
                        .description("Configured daily budget in USD (daily-budget-usd)")
                        .tags("provider", name).strongReference(true).register(meters);
            }
            if (s.dailyBudgetCredits().isPresent() && gauges.add(name + "\t" + DailySpend.CREDITS)) {
                Gauge.builder(MetricNames.DAILY_BUDGET_CREDITS, () -> budgetValue(name, DailySpend.CREDITS))
                        .description("Configured daily budget in API credits (daily-budget-credits)")
                        .tags("provider", name).strongReference(true).register(meters);
            }
        }
    }

    private double budgetValue(String provider, String unit) {
        Parsed p = settings.get(provider);
        return p == null ? Double.NaN : p.settings().budget(unit).map(BigDecimal::doubleValue).orElse(Double.NaN);
    }
}
