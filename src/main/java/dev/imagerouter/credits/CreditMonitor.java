package dev.imagerouter.credits;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.vocabulary.LogText;
import dev.imagerouter.alerts.AlertService;
import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.provider.CreditSettings;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.RoutingListener;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyRule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * Credit balance of every provider with one (type leonardo) in the current chain
 * ------------------------------------------------------------------------------
 * - GET /me (shared/specs/leonardo/WIRE.md §4) through the adapter's own LeonardoClient, once at
 *   startup (startup waits up to the check timeout for it) and then every credits.check-interval;
 *   a ScheduledProbe tick on the router scheduler (at most 1 s apart) starts checks that are due, so reloads that
 *   add providers or change intervals apply within a second. Balance = apiSubscriptionTokens +
 *   apiPaidTokens, a decimal that may be fractional or negative.
 * - Between checks each paid generation (RoutingListener.onPaid: used or not, e.g. a job that
 *   completed after its attempt had timed out) lowers the balance of every provider file on the
 *   payer's account (ProviderConfig.limitKey(): Leonardo v1 and v2 files on one key) by its reported cost
 *   (cost.amount, or apiCreditCost), in whatever unit Leonardo reports it (credits, or USD on PAYG
 *   plans, where the balance is USD too). Anything else Leonardo charged is picked up by the next
 *   check. A QUOTA_EXHAUSTED failure triggers a check at once (at most one per 10 s).
 * - A failed check (any failure kind, or no answer within credits.check-timeout) keeps the last
 *   balance, is logged at WARN and counted as image_router_credit_checks_total{result="failure"};
 *   it never blocks or fails a request.
 * - Every change of CreditLevel is one alert (see CreditLevel for the hysteresis rule); level SKIP
 *   makes SpendGate skip the provider with reason CREDITS.
 * In sandbox mode the check sends X-Sandbox-Provider: <name>.credits, so a fault plan can target
 * the balance check alone (e.g. leonardo-phoenix.credits=500).
 * - Several replicas (REDIS_URI): one replica per check interval calls GET /me and all read the
 *   balance it publishes; every replica's costs lower the shared balance (SharedCredits).
 */
/** Watches provider credit balances. Thread-safe; never blocks a request. */
@Singleton
public class CreditMonitor implements RoutingListener {

    /** Suffix of the sandbox provider header on balance checks. */
    public static final String SANDBOX_SUFFIX = ".credits";
    private static final Logger LOG = LoggerFactory.getLogger(CreditMonitor.class);
    private static final long QUOTA_RECHECK_GAP_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final RunningRouter runtime;
    private final AlertService alerts;
    private final ScheduledExecutorService scheduler;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Map<String, ProviderCredits> states = new ConcurrentHashMap<>();
    private final Map<String, ParsedSettings> settings = new ConcurrentHashMap<>();
    private final Set<String> metered = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean started = new AtomicBoolean();
    private final BalanceCheck balanceCheck;
    /** The balance shared by replicas (REDIS_URI): one checks, all read; null without Redis. */
    private final SharedCredits shared;

    private record ParsedSettings(ProviderConfig source, CreditSettings settings) {
    }

    public CreditMonitor(RunningRouter runtime, AlertService alerts, @Named("router-scheduler") ScheduledExecutorService scheduler,
                         JsonMapper json, MeterRegistry meters, Clock clock, Cluster cluster) {
        this.shared = cluster.enabled() ? new SharedCredits(cluster) : null;
        this.runtime = runtime;
        this.alerts = alerts;
        this.scheduler = scheduler;
        this.meters = meters;
        this.clock = clock;
        this.balanceCheck = new BalanceCheck(scheduler);
    }

    /**
     * Starts the first check of every balance and then the schedule; called once, at server startup,
     * by {@link dev.imagerouter.lifecycle.StartupChecks}, which waits for the returned future for at
     * most {@link #startupWait()}.
     *
     * @return completes when the first checks have ended (never exceptionally)
     */
    public CompletableFuture<Void> start() {
        if (!started.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        balanceProviders().forEach(this::ensureMeters);
        CompletableFuture<Void> first = checkNow();
        new dev.imagerouter.probe.ScheduledProbe<>("credit check", scheduler, new dev.imagerouter.probe.ScheduledProbe.Targets<ProviderHandle>() {
            @Override
            public java.util.List<ProviderHandle> targets() {
                return balanceProviders();
            }

            @Override
            public boolean claimScheduled(ProviderHandle h, long nowNanos) {
                ensureMeters(h);
                return state(h.name()).claimScheduled(nowNanos, settings(h).checkInterval().toNanos());
            }

            @Override
            public long nanosUntilDue(ProviderHandle h, long nowNanos) {
                return state(h.name()).nanosUntilDue(nowNanos);
            }

            @Override
            public void check(ProviderHandle h) {
                CreditMonitor.this.check(h);
            }
        }).start();
        return first;
    }

    /** The longest check timeout of the balance providers in the current chain (zero if none). */
    public Duration startupWait() {
        return balanceProviders().stream().map(h -> settings(h).checkTimeout()).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /** Checks every balance provider of the current chain now; completes when all checks have ended (never exceptionally). */
    public CompletableFuture<Void> checkNow() {
        return CompletableFuture.allOf(balanceProviders().stream().map(this::checkAndBook).toArray(CompletableFuture[]::new));
    }

    /** Checks one provider now; completes when the check has ended (never exceptionally). */
    public CompletableFuture<Void> checkNow(String provider) {
        return balanceProviders().stream().filter(h -> h.name().equals(provider)).findFirst()
                .map(this::checkAndBook).orElse(CompletableFuture.completedFuture(null));
    }

    /** The last known balance of a provider (checked, minus costs since), or empty before its first successful check. */
    public Optional<BigDecimal> balance(String provider) {
        ProviderCredits s = states.get(provider);
        return s == null ? Optional.empty() : s.balance();
    }

    /** The current level of a provider's balance (OK when unknown). */
    public CreditLevel level(String provider) {
        ProviderCredits s = states.get(provider);
        return s == null ? CreditLevel.OK : s.level();
    }

    /** When the provider's balance was last read successfully. */
    public Optional<java.time.Instant> lastCheck(String provider) {
        ProviderCredits s = states.get(provider);
        return s == null ? Optional.empty() : s.lastSuccess();
    }

    /** Whether the provider's balance is below skip-below (and has not yet recovered past the hysteresis). */
    public boolean skipping(String provider) {
        return level(provider) == CreditLevel.SKIP;
    }

    /** Lowers the balance by every paid generation's reported cost, used or not. */
    @Override
    public void onPaid(ProviderHandle provider, ImageRequest request, Optional<ProviderResult.Cost> cost, boolean used) {
        if (!CreditSettings.reportsBalance(provider.config().type()) || cost.isEmpty()) {
            return;
        }
        // one account, one balance: a cost paid through any of its files (Leonardo v1 and v2 on one key)
        // lowers the balance every file of that account watches, not only the payer's
        for (ProviderHandle h : sameAccount(provider)) {
            CreditSettings s = settings(h);
            state(h.name()).spend(cost.get().amount(), s).ifPresent(t -> announce(h.name(), t, s));
            if (shared != null && shared.use()) {
                shared.spend(h.name(), cost.get().amount()); // the other replicas read it at their next check
            }
        }
    }

    /** The provider and every other balance-reporting provider of the chain on its account ({@link ProviderConfig#limitKey()}). */
    private List<ProviderHandle> sameAccount(ProviderHandle provider) {
        List<ProviderHandle> out = new java.util.ArrayList<>();
        out.add(provider);
        String account = provider.config().limitKey();
        for (ProviderHandle h : balanceProviders()) {
            if (!h.name().equals(provider.name()) && account.equals(h.config().limitKey())) {
                out.add(h);
            }
        }
        return out;
    }

    @Override
    public void onAttempt(ProviderHandle provider, Attempt attempt, ProviderFailure failure, PolicyRule rule) {
        if (failure != null && failure.kind() == FailureKind.QUOTA_EXHAUSTED
                && CreditSettings.reportsBalance(provider.config().type())
                && state(provider.name()).idleFor(System.nanoTime(), QUOTA_RECHECK_GAP_NANOS)) {
            scheduler.execute(() -> checkNow(provider.name()));
        }
    }

    private CompletableFuture<Void> checkAndBook(ProviderHandle h) {
        ensureMeters(h);
        state(h.name()).bookNext(System.nanoTime(), settings(h).checkInterval().toNanos());
        return check(h);
    }

    /**
     * A due check. With Redis up (REDIS_URI) one replica per check interval calls {@code GET /me} (the
     * one whose tick takes the shared lease) and publishes the balance; the others read it. A replica
     * that finds no shared balance, or cannot ask Redis, checks itself.
     */
    private CompletableFuture<Void> check(ProviderHandle h) {
        if (h.provider().balanceSource().isEmpty() || shared == null || !shared.use()) {
            return checkHere(h);
        }
        String name = h.name();
        return shared.claim(name, settings(h).checkInterval()).thenCompose(mine -> mine ? checkHere(h)
                : shared.read(name).thenCompose(reading -> {
                    if (reading.isEmpty()) {
                        return checkHere(h);
                    }
                    ProviderCredits state = state(name);
                    CreditSettings cs = settings(h);
                    long sequence = state.startCheck(System.nanoTime());
                    state.finishCheck(sequence);
                    boolean first = state.lastSuccess().isEmpty();
                    state.observe(sequence, reading.get().balance(), cs, reading.get().checkedAt()).ifPresent(t -> announce(name, t, cs));
                    if (first) {
                        LOG.info("credit balance provider={} balance={} level={} (checked by another replica at {})", name,
                                reading.get().balance().toPlainString(), state.level(), reading.get().checkedAt());
                    }
                    return CompletableFuture.<Void>completedFuture(null);
                }));
    }

    /** One GET /me; completes (normally) when the result has been applied or the failure recorded. */
    private CompletableFuture<Void> checkHere(ProviderHandle h) {
        Optional<dev.imagerouter.provider.BalanceSource> source = h.provider().balanceSource();
        if (source.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String name = h.name();
        ProviderCredits state = state(name);
        CreditSettings cs = settings(h);
        long sequence = state.startCheck(System.nanoTime());
        Map<String, String> headers = runtime.config().sandbox().enabled()
                ? Map.of(ProviderContext.SANDBOX_PROVIDER_HEADER, name + SANDBOX_SUFFIX) : Map.of();
        return balanceCheck.run(source.get(), headers, cs.checkTimeout()).thenAccept(outcome -> {
            state.finishCheck(sequence);
            if (outcome.balance().isPresent()) {
                BigDecimal balance = outcome.balance().get();
                checks(name, "success").increment();
                if (shared != null && shared.up()) {
                    shared.publish(name, balance, clock.instant());
                }
                boolean first = state.lastSuccess().isEmpty();
                state.observe(sequence, balance, cs, clock.instant()).ifPresent(t -> announce(name, t, cs));
                if (first) {
                    LOG.info("credit balance provider={} balance={} level={}", name, balance.toPlainString(), state.level());
                } else {
                    LOG.debug("credit balance provider={} balance={} level={}", name, balance.toPlainString(), state.level());
                }
            } else {
                ProviderFailure failure = outcome.failure().orElseThrow();
                checks(name, "failure").increment();
                LOG.warn("credit check failed provider={} failure_kind={} detail=\"{}\" kept_balance={}", name, failure.kind(),
                        LogText.escape(failure.getMessage()), state.balance().map(BigDecimal::toPlainString).orElse("unknown"));
            }
        }).exceptionally(e -> {
            LOG.warn("credit check of {} could not be recorded: {}", name, LogText.escape(e));
            return null;
        });
    }

    private void announce(String provider, ProviderCredits.Transition t, CreditSettings cs) {
        alerts.raise(t.toAlert(provider, cs));
    }

    private List<ProviderHandle> balanceProviders() {
        return runtime.chain().providers().stream()
                .filter(h -> CreditSettings.reportsBalance(h.config().type()))
                .toList();
    }

    private ProviderCredits state(String provider) {
        return states.computeIfAbsent(provider, ProviderCredits::new);
    }

    /** The provider's credit settings, parsed once per configuration (a reload brings a new ProviderConfig). */
    CreditSettings settings(ProviderHandle h) {
        ParsedSettings parsed = settings.get(h.name());
        if (parsed != null && parsed.source() == h.config()) {
            return parsed.settings();
        }
        // parsed at load time; one writer of this provider's entry at a time
        synchronized (this) {
            parsed = settings.get(h.name());
            if (parsed == null || parsed.source() != h.config()) {
                parsed = new ParsedSettings(h.config(), h.config().settings().credits());
                settings.put(h.name(), parsed);
                CreditSettings cs = parsed.settings();
                state(h.name()).reevaluate(cs).ifPresent(t -> announce(h.name(), t, cs));
            }
            return parsed.settings();
        }
    }

    private void ensureMeters(ProviderHandle h) {
        String name = h.name();
        if (!metered.add(name)) {
            return;
        }
        ProviderCredits s = state(name);
        Gauge.builder(MetricNames.PROVIDER_CREDITS, s, ProviderCredits::gaugeValue)
                .description("Provider credit balance (API credits; USD on PAYG plans), last check minus costs since")
                .tags("provider", name).strongReference(true).register(meters);
        for (CreditLevel level : List.of(CreditLevel.WARN, CreditLevel.CRITICAL, CreditLevel.SKIP)) {
            Gauge.builder(MetricNames.PROVIDER_CREDITS_THRESHOLD, () -> thresholdValue(name, level))
                    .description("Configured credit balance thresholds")
                    .tags("provider", name, "level", level.tag()).strongReference(true).register(meters);
        }
        checks(name, "success");
        checks(name, "failure");
    }

    private double thresholdValue(String provider, CreditLevel level) {
        ParsedSettings parsed = settings.get(provider);
        return parsed == null ? Double.NaN : level.threshold(parsed.settings()).map(BigDecimal::doubleValue).orElse(Double.NaN);
    }

    private Counter checks(String provider, String result) {
        return Counter.builder(MetricNames.CREDIT_CHECKS)
                .description("Credit balance checks (GET /me) by result")
                .tags("provider", provider, "result", result)
                .register(meters);
    }
}
