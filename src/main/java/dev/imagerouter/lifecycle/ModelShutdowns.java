package dev.imagerouter.lifecycle;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.alerts.Alert;
import dev.imagerouter.alerts.AlertService;
import dev.imagerouter.settings.AlertSettings;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.provider.ModelCheckSettings;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.routing.ProviderGate;
import dev.imagerouter.routing.ProviderHandle;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Model shutdown dates
 * --------------------
 * Where a date comes from: the provider file's shutdown-date (any provider type), and for type
 * openai the shutdown_date that ModelLifecycle's check of GET /v1/models/{model} last reported
 * (GPT-IMAGE-2.md §6). When both exist the earlier wins: a file may be written before OpenAI
 * announces, and OpenAI may announce an earlier day than the file says. A change of the date or of
 * its source is logged once.
 *
 * What is done with it, on a tick every TICK from server startup on:
 *   metric  image_router_model_shutdown_timestamp_seconds{provider,model} = Unix seconds of the
 *           date at 00:00 UTC, for EVERY configured provider file with a known date, disabled ones
 *           included (the shipped disabled gpt-image-1 file exports its 2026-10-23); a reload that
 *           removes a date, a file or changes the model removes the old series on the next tick.
 *   alert   MODEL_SHUTDOWN_SOON at each lead time of router.alerts.model-shutdown-lead-times
 *           (default 30d, 7d, 1d) before the date, only for ENABLED providers in the current chain:
 *           a disabled file is already out of the way, and alerting it would repeat at every start.
 *           Each lead time fires once per (provider, model, date): when the clock has crossed
 *           several lead times at once (a start 3 days before the date) only the shortest fires, and
 *           the longer ones count as fired. Warning above 7 days, critical from 7 days on. The
 *           memory of what fired is in this process only: a restart fires the current lead time once
 *           more, a reload does not; a new date (re-announced) is a new key and alerts again.
 *   gate    from the date on (the UTC day of the injected clock is ≥ the date) the router skips the
 *           provider without a call, trail reason MODEL_UNAVAILABLE, as for a model found gone.
 * The clock is the injected java.time.Clock bean, so tests move time without sleeping.
 */
/** Exports, alerts and enforces the shutdown dates of the configured providers' models. Thread-safe. */
@Singleton
public class ModelShutdowns implements ProviderGate, dev.imagerouter.routing.ProviderStatusContributor {

    /** The alert raised ahead of a shutdown date. */
    public static final String MODEL_SHUTDOWN_SOON = "MODEL_SHUTDOWN_SOON";
    /** How often dates, gauges and alerts are brought up to date (reloads, model checks and the clock are picked up by then). */
    static final Duration TICK = Duration.ofSeconds(1);
    /** Lead times up to this long alert as critical, longer ones as warnings (the Prometheus rules use the same split). */
    static final Duration CRITICAL_LEAD = Duration.ofDays(7);
    private static final Logger LOG = LoggerFactory.getLogger(ModelShutdowns.class);

    /** Where a known date came from. */
    enum Source {
        PROVIDER_FILE("provider file shutdown-date"), MODELS_API("models API shutdown_date");

        final String description;

        Source(String description) {
            this.description = description;
        }
    }

    /** A provider's model with its known shutdown date. */
    record Known(String provider, String model, LocalDate date, Source source) {
        String key() {
            return provider + '\u0000' + model;
        }
    }

    private final RunningRouter runtime;
    private final ModelLifecycle lifecycle;
    private final AlertService alerts;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Map<String, Exported> exported = new HashMap<>(); // guarded by this
    private final Map<String, Known> logged = new HashMap<>(); // guarded by this
    private final Set<String> fired = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService scheduler;
    private volatile ScheduledFuture<?> ticks;

    private record Exported(Gauge gauge, AtomicLong seconds) {
    }

    public ModelShutdowns(RunningRouter runtime, ModelLifecycle lifecycle, AlertService alerts, MeterRegistry meters,
                          Clock clock, @Named("router-scheduler") ScheduledExecutorService scheduler) {
        this.runtime = runtime;
        this.lifecycle = lifecycle;
        this.alerts = alerts;
        this.meters = meters;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** Starts the ticks once the server listens (the chain is built then; see RunningRouter#chain). */
    @EventListener
    void onStartup(ServerStartupEvent event) {
        synchronized (this) {
            if (ticks == null) {
                ticks = scheduler.scheduleWithFixedDelay(this::tickSafely, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    @PreDestroy
    void stop() {
        ScheduledFuture<?> t = ticks;
        if (t != null) {
            t.cancel(false);
        }
    }

    /**
     * The known shutdown date of a provider's model: the earlier of its file's {@code shutdown-date}
     * and, for type openai, the date the newest model check reported.
     */
    public Optional<LocalDate> shutdownDate(ProviderConfig config) {
        return known(config).map(Known::date);
    }

    /** {@code MODEL_UNAVAILABLE} from the model's shutdown date on (UTC day of the clock ≥ the date). */
    @Override
    public Optional<String> skipReason(ProviderHandle provider) {
        Optional<LocalDate> date = shutdownDate(provider.config());
        if (date.isEmpty()) {
            return Optional.empty();
        }
        return clock.millis() >= startOfDay(date.get()).toEpochMilli() ? Optional.of(ModelLifecycle.MODEL_UNAVAILABLE)
                : Optional.empty();
    }

    /**
     * Adds to the provider's entry in {@code GET /admin/chain}, when its model has a known shutdown date:
     * {@code model_shutdown_date} (ISO date, UTC) and {@code model_shutdown_days_left} (whole days from
     * today, UTC, to that date; 0 on the day, negative after it).
     */
    @Override
    public Map<String, Object> status(ProviderHandle provider) {
        Optional<LocalDate> date = shutdownDate(provider.config());
        if (date.isEmpty()) {
            return Map.of();
        }
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("model_shutdown_date", date.get().toString());
        m.put("model_shutdown_days_left", java.time.temporal.ChronoUnit.DAYS.between(today, date.get()));
        return m;
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("model shutdown dates: {}", e.toString());
        }
    }

    /** Brings gauges and alerts up to date with the configuration, the model checks and the clock. */
    synchronized void tick() {
        Map<String, Known> all = new HashMap<>();
        for (ProviderConfig config : runtime.config().providers().values()) {
            known(config).ifPresent(k -> all.put(k.key(), k));
        }
        export(all);
        logChanges(all);
        AlertSettings settings = Optional.ofNullable(runtime.config().alerts()).orElseGet(AlertSettings::defaults);
        Instant now = clock.instant();
        for (ProviderHandle h : runtime.chain().providers()) {
            if (h.config().enabled()) {
                known(h.config()).ifPresent(k -> alertIfDue(k, settings.modelShutdownLeadTimes(), now));
            }
        }
    }

    private Optional<Known> known(ProviderConfig config) {
        Optional<LocalDate> file = config.shutdownDate();
        Optional<LocalDate> api = ModelCheckSettings.CHECKED_TYPE.equals(config.type())
                ? lifecycle.reportedShutdownDate(config.name(), config.model()) : Optional.empty();
        if (api.isPresent() && (file.isEmpty() || api.get().isBefore(file.get()))) {
            return Optional.of(new Known(config.name(), config.model(), api.get(), Source.MODELS_API));
        }
        return file.map(d -> new Known(config.name(), config.model(), d, Source.PROVIDER_FILE));
    }

    private void export(Map<String, Known> all) {
        exported.entrySet().removeIf(e -> {
            if (all.containsKey(e.getKey())) {
                return false;
            }
            meters.remove(e.getValue().gauge());
            return true;
        });
        for (Known k : all.values()) {
            long seconds = startOfDay(k.date()).getEpochSecond();
            Exported e = exported.get(k.key());
            if (e == null) {
                AtomicLong value = new AtomicLong(seconds);
                Gauge gauge = Gauge.builder(MetricNames.MODEL_SHUTDOWN_TIMESTAMP, value, AtomicLong::doubleValue)
                        .description("shutdown date of the provider's model, Unix seconds at 00:00 UTC")
                        .tags("provider", k.provider(), "model", k.model()).strongReference(true).register(meters);
                exported.put(k.key(), new Exported(gauge, value));
            } else {
                e.seconds().set(seconds);
            }
        }
    }

    private void logChanges(Map<String, Known> all) {
        logged.keySet().retainAll(all.keySet());
        for (Known k : all.values()) {
            Known before = logged.put(k.key(), k);
            if (!k.equals(before)) {
                LOG.info("model shutdown date provider={} model={} date={} source=\"{}\"", k.provider(), k.model(), k.date(),
                        k.source().description);
            }
        }
    }

    /**
     * Fires the shortest lead time the clock has crossed, once; marks the longer ones as fired too.
     * Nothing from the date on: the gate takes over.
     */
    private void alertIfDue(Known k, List<Duration> leadTimes, Instant now) {
        Instant shutdown = startOfDay(k.date());
        if (!now.isBefore(shutdown)) {
            return;
        }
        Duration due = null;
        for (Duration lead : leadTimes) { // longest first
            if (!now.isBefore(shutdown.minus(lead))) {
                due = lead;
            }
        }
        if (due == null) {
            return;
        }
        String base = k.provider() + '\u0000' + k.model() + '\u0000' + k.date() + '\u0000';
        if (!fired.add(base + due)) {
            return;
        }
        for (Duration lead : leadTimes) {
            if (lead.compareTo(due) > 0) {
                fired.add(base + lead);
            }
        }
        long days = Duration.between(now, shutdown).toDays();
        Alert.Severity severity = due.compareTo(CRITICAL_LEAD) <= 0 ? Alert.Severity.CRITICAL : Alert.Severity.WARNING;
        alerts.raise(Alert.firing(MODEL_SHUTDOWN_SOON, severity, k.provider(), null, null,
                "model " + k.model() + " shuts down on " + k.date() + " (" + (days == 0 ? "less than a day" : days + (days == 1 ? " day" : " days"))
                        + " left; " + k.source().description + "); from that day the router skips " + k.provider()
                        + ". Set a successor model in providers/" + k.provider() + ".yml and reload"));
    }

    private static Instant startOfDay(LocalDate date) {
        return date.atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
