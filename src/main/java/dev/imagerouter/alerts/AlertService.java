package dev.imagerouter.alerts;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.settings.AlertSettings;

import dev.imagerouter.vocabulary.LogText;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.ProviderRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.json.JsonMapper;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Pattern;

/*
 * Sinks: the log always (one line; WARN for warnings and resolutions, ERROR for critical alerts),
 * and the webhook of router.alerts.webhook-url when one is set (WebhookSink: async, timeout,
 * retries). Settings are read from the live configuration on every alert, so a reload applies.
 *
 * Two entry points: raise() for alerts that mark a change of state (a threshold crossed downward,
 * its resolution, a model found gone) — the caller already makes them happen once per change;
 * raiseThrottled() for alerts raised by events that can repeat a thousand times a minute (failures
 * whose policy row says alert: true) — at most one per (alert, provider) per min-interval.
 *
 * Every message is scrubbed before it reaches a sink: the configured provider keys, anything after
 * "Bearer" and sk-style keys are replaced by [redacted].
 */
/** Raises operator alerts to the log and the optional webhook. Thread-safe; never blocks the caller. */
@Singleton
public class AlertService {

    private static final Logger LOG = LoggerFactory.getLogger("dev.imagerouter.alerts");
    private static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+[^\\s\"',;]+");
    private static final Pattern SK_KEY = Pattern.compile("sk-[A-Za-z0-9_-]{8,}");
    static final String REDACTED = "[redacted]";
    /** Alerts the router raises by default, registered at 0 so that the first one shows in increase(). */
    private static final Map<String, Alert.Severity> KNOWN = Map.of(
            "CREDITS_WARN", Alert.Severity.WARNING, "CREDITS_CRITICAL", Alert.Severity.CRITICAL,
            "CREDITS_SKIP", Alert.Severity.CRITICAL, "BUDGET_EXCEEDED", Alert.Severity.WARNING,
            "MODEL_UNAVAILABLE", Alert.Severity.CRITICAL, "QUOTA_EXHAUSTED", Alert.Severity.CRITICAL,
            "AUTH_FAILED", Alert.Severity.CRITICAL);

    private final RunningRouter runtime;
    private final ProviderRegistry registry;
    private final Clock clock;
    private final MeterRegistry meters;
    private final AlertThrottle throttle;
    private final WebhookSink webhook;

    public AlertService(RunningRouter runtime, ProviderRegistry registry,
                        @Named("router-scheduler") ScheduledExecutorService scheduler, JsonMapper json, Clock clock,
                        MeterRegistry meters) {
        this.runtime = runtime;
        this.registry = registry;
        this.clock = clock;
        this.meters = meters;
        this.throttle = new AlertThrottle(clock);
        this.webhook = new WebhookSink(scheduler, json);
        KNOWN.forEach((alert, severity) -> counter(alert, severity));
    }

    /** Sends an alert that marks a change of state, to every sink. */
    public void raise(Alert alert) {
        Alert clean = new Alert(alert.alert(), alert.severity(), alert.status(), alert.provider(), alert.value(),
                alert.threshold(), redact(alert.message()));
        AlertSettings settings = settings();
        log(clean);
        counter(clean.alert(), clean.severity()).increment();
        webhook.deliver(settings, clean, clock.instant());
    }

    private Counter counter(String alert, Alert.Severity severity) {
        return Counter.builder(MetricNames.ALERTS)
                .description("Operator alerts raised (firing and resolved), by alert and severity")
                .tags("alert", alert, "severity", severity.wireName())
                .register(meters);
    }

    /**
     * Sends an alert raised by a repeatable event, unless one for the same (alert, provider) went out
     * within {@code router.alerts.min-interval}.
     *
     * @return whether it was sent
     */
    public boolean raiseThrottled(Alert alert) {
        if (!throttle.tryAcquire(alert.alert() + "|" + alert.provider(), settings().minInterval())) {
            LOG.debug("alert {} for {} suppressed (min-interval)", alert.alert(), alert.provider());
            return false;
        }
        raise(alert);
        return true;
    }

    private AlertSettings settings() {
        return Optional.ofNullable(runtime.config().alerts()).orElseGet(AlertSettings::defaults);
    }

    private static void log(Alert a) {
        String line = "ALERT {} {} severity={} provider={} value={} threshold={} message=\"{}\"";
        Object[] args = {a.alert(), a.status().wireName(), a.severity().wireName(), a.provider(),
                a.value().map(v -> v.toPlainString()).orElse("-"), a.threshold().map(v -> v.toPlainString()).orElse("-"),
                LogText.escape(a.message())};
        if (a.severity() == Alert.Severity.CRITICAL && a.status() == Alert.Status.FIRING) {
            LOG.error(line, args);
        } else {
            LOG.warn(line, args);
        }
    }

    /** The text with every configured provider key, bearer token and sk-style key replaced by {@value #REDACTED}. */
    String redact(String text) {
        String out = text.replace('\n', ' ').replace('\r', ' ');
        for (ProviderHandle h : registry.handles().values()) {
            Optional<String> key = h.config().apiKey();
            if (key.isPresent() && key.get().length() >= 8) {
                out = out.replace(key.get(), REDACTED);
            }
        }
        out = BEARER.matcher(out).replaceAll(REDACTED);
        return SK_KEY.matcher(out).replaceAll(REDACTED);
    }

    @PreDestroy
    void close() {
        webhook.close();
    }
}
