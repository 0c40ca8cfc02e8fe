package dev.imagerouter.config;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /health/readiness} (and {@code /health}) entry {@code config}: the configuration this
 * router runs. Always UP while the process serves: a configuration that fails validation stops the
 * startup, and a reload that fails is rejected as a whole, so the running configuration is always the
 * last good one (a failed reload is reported here, and alerted through
 * {@code image_router_config_reloads_total{result="failure"}}, but the router keeps serving with what
 * it had). Details: {@code chain} (names, in order), {@code chain_version} (1 at
 * startup, +1 per applied reload) and, after a reload, {@code last_reload} ({@code applied} or
 * {@code rejected}), {@code last_reload_at} and, when rejected, {@code last_reload_problems} (a count:
 * the texts, which can quote values, are in the log and the 422 answer only; /health is open).
 */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Singleton
@Readiness
public class ConfigReadiness implements HealthIndicator {

    private final RouterRuntime runtime;
    private final ConfigReloader reloader;

    public ConfigReadiness(RouterRuntime runtime, ConfigReloader reloader) {
        this.runtime = runtime;
        this.reloader = reloader;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("chain", runtime.chain().names());
        details.put("chain_version", runtime.chain().version());
        reloader.lastReload().ifPresent(last -> {
            details.put("last_reload", last.applied() ? "applied" : "rejected");
            details.put("last_reload_at", last.at().toString());
            if (!last.applied()) {
                details.put("last_reload_problems", last.problems());
                details.put("running", "the last good configuration");
            }
        });
        return Publishers.just(HealthResult.builder("config", HealthStatus.UP).details(details).build());
    }
}
