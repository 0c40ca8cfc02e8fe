package dev.imagerouter.lifecycle;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.vocabulary.LogText;
import dev.imagerouter.alerts.Alert;
import dev.imagerouter.alerts.AlertService;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.provider.ModelCheckSettings;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.provider.ModelCatalogue;
import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.routing.ProviderGate;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.ProviderStatusContributor;
import dev.imagerouter.routing.RoutingListener;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyRule;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * Model lifecycle of every provider with a model lookup in the current chain
 * --------------------------------------------------------------------------
 * Type openai: GET /v1/models/{model}; type leonardo-v2, for files naming catalog-id or catalog-name:
 * GET /api/rest/v2/models, where a list that was read and lacks the entry is the "404" below, and a
 * list that failed, did not parse or was empty is "anything else" (it skips nothing).
 * Through the provider's own client (OpenAI's SDK with maxRetries 0), once at startup
 * (startup waits up to model-check.timeout) and then every model-check.interval (default 24 h);
 * a ScheduledProbe tick on the router scheduler, at most 1 s apart, starts the checks that are due, and a model
 * changed by a reload is checked within a second. A MODEL_UNAVAILABLE failure of a generation
 * triggers a check at once (at most one per 30 s).
 *   200          → available (gauge 1); if it was unavailable: a resolved MODEL_UNAVAILABLE alert
 *   404 (any)    → unavailable (gauge 0), one MODEL_UNAVAILABLE alert, and the router skips the
 *                  provider (trail reason MODEL_UNAVAILABLE) until a later check answers 200
 *   anything else (timeout, 5xx, 401, network) → the state is kept, the failure is logged
 * A 200 also carries the model's shutdown_date (null while none is announced, GPT-IMAGE-2.md §6):
 * it is kept per provider and model for ModelShutdowns, which exports and alerts it together with
 * the provider file's shutdown-date. As of 2026-12 the live model is gpt-image-2 (no shutdown
 * announced); gpt-image-1 was shut down on 2026-10-23 and its provider file stays, disabled, with
 * that date. When OpenAI retires a model, the fix is one line in the provider file (model: its
 * successor), then a reload.
 */
/** Watches whether each configured model (OpenAI, Leonardo v2) still exists, and routes around a missing one. Thread-safe. */
@Singleton
public class ModelLifecycle implements ProviderGate, RoutingListener, ProviderStatusContributor {

    /** Trail reason while the configured model is known to be gone. */
    public static final String MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE";
    private static final Logger LOG = LoggerFactory.getLogger(ModelLifecycle.class);
    private static final long FAILURE_RECHECK_GAP_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final RunningRouter runtime;
    private final AlertService alerts;
    private final ScheduledExecutorService scheduler;
    private final MeterRegistry meters;
    private final Map<String, ModelState> states = new ConcurrentHashMap<>();
    private final Map<String, Parsed> settings = new ConcurrentHashMap<>();
    private final AtomicBoolean started = new AtomicBoolean();

    private record Parsed(ProviderConfig source, ModelCheckSettings settings) {
    }

    public ModelLifecycle(RunningRouter runtime, AlertService alerts,
                          @Named("router-scheduler") ScheduledExecutorService scheduler, MeterRegistry meters) {
        this.runtime = runtime;
        this.alerts = alerts;
        this.scheduler = scheduler;
        this.meters = meters;
    }

    /**
     * Starts the first model check of every checked provider and then the schedule; called once, at
     * server startup, by {@link StartupChecks}, which waits for the returned future for at most
     * {@link #startupWait()}.
     *
     * @return completes when the first checks have ended (never exceptionally)
     */
    public CompletableFuture<Void> start() {
        if (!started.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> first = checkNow();
        new dev.imagerouter.probe.ScheduledProbe<>("model check", scheduler, new dev.imagerouter.probe.ScheduledProbe.Targets<ProviderHandle>() {
            @Override
            public java.util.List<ProviderHandle> targets() {
                return checkedProviders();
            }

            @Override
            public boolean claimScheduled(ProviderHandle h, long nowNanos) {
                return state(h).claimScheduled(nowNanos, settings(h).interval().toNanos());
            }

            @Override
            public long nanosUntilDue(ProviderHandle h, long nowNanos) {
                return state(h).nanosUntilDue(nowNanos);
            }

            @Override
            public void check(ProviderHandle h) {
                ModelLifecycle.this.check(h, state(h));
            }
        }).start();
        return first;
    }

    /** The longest model-check timeout of the checked providers in the current chain (zero if none). */
    public Duration startupWait() {
        return checkedProviders().stream().map(h -> settings(h).timeout()).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /** Checks the model of every checked provider in the current chain now; completes when all have ended (never exceptionally). */
    public CompletableFuture<Void> checkNow() {
        long now = System.nanoTime();
        return CompletableFuture.allOf(checkedProviders().stream().map(h -> {
            ModelState s = state(h);
            s.book(now, settings(h).interval().toNanos());
            return check(h, s);
        }).toArray(CompletableFuture[]::new));
    }

    /**
     * The {@code shutdown_date} the newest check of {@code provider}'s model reported, when that model
     * is still {@code model} (empty before the first 200, when none is announced, or after the model changed).
     */
    public Optional<LocalDate> reportedShutdownDate(String provider, String model) {
        ModelState s = states.get(provider);
        return s != null && s.model().equals(model) ? s.shutdownDate() : Optional.empty();
    }

    /** Whether a provider's configured model is known to be gone. */
    public boolean unavailable(String provider) {
        ModelState s = states.get(provider);
        return s != null && s.availability() == ModelState.Availability.UNAVAILABLE;
    }

    @Override
    public Optional<String> skipReason(ProviderHandle provider) {
        ModelState s = states.get(provider.name());
        return s != null && s.model().equals(provider.config().model()) && s.availability() == ModelState.Availability.UNAVAILABLE
                ? Optional.of(MODEL_UNAVAILABLE) : Optional.empty();
    }

    /** {@code GET /admin/chain}: {@code model_available} true/false once a check was conclusive. */
    @Override
    public Map<String, Object> status(ProviderHandle provider) {
        ModelState s = states.get(provider.name());
        if (s == null || !s.model().equals(provider.config().model()) || s.availability() == ModelState.Availability.UNKNOWN) {
            return Map.of();
        }
        return Map.of("model_available", s.availability() == ModelState.Availability.AVAILABLE);
    }

    @Override
    public void onAttempt(ProviderHandle provider, Attempt attempt, ProviderFailure failure, PolicyRule rule) {
        if (failure != null && failure.kind() == FailureKind.MODEL_UNAVAILABLE
                && checked(provider)) {
            ModelState s = state(provider);
            if (s.claimNow(System.nanoTime(), FAILURE_RECHECK_GAP_NANOS)) {
                scheduler.execute(() -> check(provider, s));
            }
        }
    }

    private CompletableFuture<Void> check(ProviderHandle h, ModelState s) {
        Optional<ModelCatalogue> catalogue = h.provider().modelCatalogue();
        if (catalogue.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String model = s.model();
        long sequence = s.start();
        CompletableFuture<Optional<LocalDate>> call;
        try {
            call = catalogue.get().shutdownDate(model, settings(h).timeout());
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle((date, error) -> {
            ProviderFailure failure = null;
            if (error != null) {
                Throwable t = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
                failure = t instanceof ProviderFailure pf ? pf
                        : new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "unexpected error: " + t.getClass().getSimpleName());
            } else {
                s.reportShutdownDate(sequence, date);
            }
            record(h, s, sequence, failure);
            return (Void) null;
        }).exceptionally(e -> {
            LOG.warn("model check of {} could not be recorded: {}", h.name(), LogText.escape(e));
            return null;
        });
    }

    private void record(ProviderHandle h, ModelState s, long sequence, ProviderFailure failure) {
        String provider = h.name();
        String model = s.model();
        if (failure == null) {
            boolean wasUnavailable = s.availability() == ModelState.Availability.UNAVAILABLE;
            if (s.finish(sequence, ModelState.Availability.AVAILABLE) && wasUnavailable) {
                alerts.raise(Alert.resolved(MODEL_UNAVAILABLE, Alert.Severity.CRITICAL, provider, null, null,
                        "model " + model + " is available again; the router sends requests to " + provider + " again"));
            }
            LOG.debug("model check provider={} model={} available", provider, model);
        } else if (failure.kind() == FailureKind.MODEL_UNAVAILABLE) {
            if (s.finish(sequence, ModelState.Availability.UNAVAILABLE)) {
                alerts.raise(Alert.firing(MODEL_UNAVAILABLE, Alert.Severity.CRITICAL, provider, null, null,
                        "model " + model + " is not available (" + failure.getMessage() + "); the router skips "
                                + provider + " until a check finds it again. " + remedy(h)));
            }
        } else if (scheduler.isShutdown()) {
            s.finish(sequence, null); // the service is stopping: the SDK's client is closed
        } else {
            s.finish(sequence, null);
            LOG.warn("model check failed provider={} model={} failure_kind={} detail=\"{}\" kept_state={}", provider, model,
                    failure.kind(), LogText.escape(failure.getMessage()), s.availability());
        }
    }

    private static String remedy(ProviderHandle h) {
        return h.provider().modelCatalogue().map(ModelCatalogue::remedy).orElse("Set a successor model and reload");
    }

    private List<ProviderHandle> checkedProviders() {
        return runtime.chain().providers().stream()
                .filter(ModelLifecycle::checked)
                .toList();
    }

    /** Whether the provider's model is checked: a type with a model check whose file gives it something to look up. */
    private static boolean checked(ProviderHandle h) {
        return ModelCheckSettings.checked(h.config().type()) && h.provider().modelCatalogue().isPresent();
    }

    /** The provider's state for its current model: a model changed by a reload starts over (unknown, due now). */
    private ModelState state(ProviderHandle h) {
        ModelState current = states.get(h.name());
        if (current != null && current.model().equals(h.config().model())) {
            return current;
        }
        synchronized (states) {
            current = states.get(h.name());
            if (current != null && current.model().equals(h.config().model())) {
                return current;
            }
            if (current != null) {
                Gauge old = meters.find(MetricNames.MODEL_AVAILABLE).tags("provider", h.name(), "model", current.model()).gauge();
                if (old != null) {
                    meters.remove(old);
                }
            }
            ModelState next = new ModelState(h.config().model());
            Gauge.builder(MetricNames.MODEL_AVAILABLE, next, ModelState::gaugeValue)
                    .description("1 while the configured model is available, 0 once a check found it gone")
                    .tags("provider", h.name(), "model", h.config().model()).strongReference(true).register(meters);
            states.put(h.name(), next);
            return next;
        }
    }

    /** The provider's model-check settings, parsed once per configuration (a reload brings a new ProviderConfig). */
    private ModelCheckSettings settings(ProviderHandle h) {
        Parsed parsed = settings.get(h.name());
        if (parsed != null && parsed.source() == h.config()) {
            return parsed.settings();
        }
        // parsed at load time; one writer of this provider's entry at a time
        synchronized (this) {
            parsed = new Parsed(h.config(), h.config().settings().modelCheck());
            settings.put(h.name(), parsed);
            return parsed.settings();
        }
    }
}
