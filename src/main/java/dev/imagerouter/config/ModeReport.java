package dev.imagerouter.config;

import dev.imagerouter.vocabulary.MetricNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Says which mode runs, fixed at startup: the gauge {@code image_router_sandbox_mode} (1 sandbox,
 * 0 live) and the {@code /health} entry {@code mode}, always UP, with details {@code mode}
 * ({@code sandbox|live}) and {@code reason} (the setting or variable names that decided it, never a value).
 */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Singleton
public class ModeReport implements HealthIndicator {

    private final RouterRuntime runtime;

    public ModeReport(RouterRuntime runtime, MeterRegistry meters) {
        this.runtime = runtime;
        Gauge.builder(MetricNames.SANDBOX_MODE, this, r -> r.sandbox() ? 1 : 0)
                .description("1 when the router runs in sandbox mode (in-process emulators, no real provider), 0 in live mode")
                .register(meters);
    }

    /** Registers the gauge when the server starts. */
    @EventListener
    void onStartup(ServerStartupEvent event) {
        // constructing this bean is the work
    }

    private boolean sandbox() {
        return runtime.config().sandbox().enabled();
    }

    @Override
    public Publisher<HealthResult> getResult() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("mode", sandbox() ? "sandbox" : "live");
        details.put("reason", runtime.config().sandbox().modeReason());
        return Publishers.just(HealthResult.builder("mode", HealthStatus.UP).details(details).build());
    }
}
