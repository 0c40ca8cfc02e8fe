package dev.imagerouter.config;

import dev.imagerouter.credits.CreditMonitor;
import dev.imagerouter.provider.CreditSettings;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.routing.Chain;
import dev.imagerouter.routing.ProviderGate;
import dev.imagerouter.routing.ProviderHandle;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /health/readiness} (and {@code /health}) entry {@code providers}: each configured
 * provider's state, <b>always UP</b>. A router whose providers are all down still serves cached
 * images, image files, job reads and typed errors (503 {@code no_provider_available}), so taking it
 * out of a load balancer would only turn those into connection errors; alert on the provider metrics
 * instead (grafana/). Details: {@code available} (providers of the chain that would be called now)
 * and one entry per provider, chain order first:
 * <ul>
 *   <li>{@code enabled} (its file's {@code enabled}) and {@code state}: {@code available},
 *       {@code skipped} (with {@code skip_reason}: {@code CIRCUIT_OPEN}, {@code COOLDOWN}, or a gate's
 *       reason such as {@code CREDITS} or {@code MODEL_UNAVAILABLE}), {@code disabled}, or
 *       {@code not_in_chain};</li>
 *   <li>{@code circuit_breaker} (CLOSED, OPEN, HALF_OPEN, ...) for providers of the chain;</li>
 *   <li>{@code credit_level} (OK, WARN, CRITICAL, SKIP) once a balance is known.</li>
 * </ul>
 * Nothing more: /health is open to anyone who reaches the port, so balances, spend and URLs stay on
 * the admin-only {@code GET /admin/chain}. Reads live state only; never calls a provider.
 */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Singleton
@Readiness
public class ProviderReadiness implements HealthIndicator {

    private final RouterRuntime runtime;
    private final List<ProviderGate> gates;
    private final CreditMonitor credits;

    public ProviderReadiness(RouterRuntime runtime, List<ProviderGate> gates, CreditMonitor credits) {
        this.runtime = runtime;
        this.gates = List.copyOf(gates);
        this.credits = credits;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        Chain chain = runtime.chain();
        Map<String, Object> providers = new LinkedHashMap<>();
        int available = 0;
        for (ProviderHandle handle : chain.providers()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("enabled", true);
            Optional<String> skip = skipReason(handle);
            entry.put("state", skip.isPresent() ? "skipped" : "available");
            skip.ifPresent(reason -> entry.put("skip_reason", reason));
            entry.put("circuit_breaker", handle.resilience().circuitBreaker().getState().name());
            creditLevel(handle.config()).ifPresent(level -> entry.put("credit_level", level));
            providers.put(handle.name(), entry);
            available += skip.isPresent() ? 0 : 1;
        }
        for (ProviderConfig config : runtime.config().providers().values().stream()
                .sorted(java.util.Comparator.comparing(ProviderConfig::name)).toList()) {
            if (!providers.containsKey(config.name())) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("enabled", config.enabled());
                entry.put("state", config.enabled() ? "not_in_chain" : "disabled");
                providers.put(config.name(), entry);
            }
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("available", available);
        details.putAll(providers);
        return Publishers.just(HealthResult.builder("providers", HealthStatus.UP).details(details).build());
    }

    /** Why the router would pass over this provider now, before any call (as the chain walk decides). */
    private Optional<String> skipReason(ProviderHandle handle) {
        if (handle.coolingDown()) {
            return Optional.of("COOLDOWN");
        }
        for (ProviderGate gate : gates) {
            Optional<String> reason = gate.skipReason(handle);
            if (reason.isPresent()) {
                return reason;
            }
        }
        CircuitBreaker.State state = handle.resilience().circuitBreaker().getState();
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN
                ? Optional.of("CIRCUIT_OPEN") : Optional.empty();
    }

    private Optional<String> creditLevel(ProviderConfig config) {
        if (!CreditSettings.reportsBalance(config.type()) || credits.balance(config.name()).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(credits.level(config.name()).name());
    }
}
