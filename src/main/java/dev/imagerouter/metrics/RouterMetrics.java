package dev.imagerouter.metrics;

import dev.imagerouter.vocabulary.MetricNames;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.ProviderResilience;
import dev.imagerouter.routing.RoutingListener;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyRule;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRateLimiterMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Turns routing events into Prometheus metrics and binds Resilience4j's own breaker, rate-limiter,
 * bulkhead and retry metrics (tagged with the provider name). Thread-safe.
 *
 * <p>Tag values come from closed sets only (outcomes, cache results, failure kinds, provider
 * instance names from config), never from a request: no prompt, request hash or id. Checked by
 * {@code MetricsExportTest}.
 */
@Singleton
public class RouterMetrics implements RoutingListener {

    /** Histogram boundaries suited to 0.01–60 s generations. */
    static final Duration[] SLOS = {
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(30),
            Duration.ofSeconds(45), Duration.ofSeconds(60)};

    /** Request outcomes registered at 0 with {@code cache="miss"} (errors never come from the cache). */
    static final List<String> OUTCOMES = List.of("success", "invalid_request", "unauthorized", "content_rejected",
            "rate_limited", "unavailable", "failed");

    private final MeterRegistry registry;

    public RouterMetrics(MeterRegistry registry, ProviderResilience resilience) {
        this.registry = registry;
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(resilience.circuitBreakers()).bindTo(registry);
        TaggedRateLimiterMetrics.ofRateLimiterRegistry(resilience.rateLimiters()).bindTo(registry);
        TaggedBulkheadMetrics.ofBulkheadRegistry(resilience.bulkheads()).bindTo(registry);
        TaggedRetryMetrics.ofRetryRegistry(resilience.retries()).bindTo(registry);
        // Micrometer creates a counter on its first increment, and Prometheus' increase()/rate() cannot
        // see the step from "no series" to 1: without these zeros the first failed request of a fresh
        // instance would be invisible to AllProvidersFailing (grafana/prometheus/alerts.yml).
        OUTCOMES.forEach(outcome -> requests(outcome, "miss"));
        requests("success", "hit");
        requests("success", "bypass");
    }

    @Override
    public void onAttempt(ProviderHandle provider, Attempt attempt, ProviderFailure failure, PolicyRule rule) {
        String kind = attempt.failureKind() == null ? MetricNames.NONE : attempt.failureKind().name();
        String name = provider.name();
        String outcome = attempt.outcome().wire();
        attemptCounters.computeIfAbsent(name + "|" + outcome + "|" + kind, k -> Counter.builder(MetricNames.PROVIDER_ATTEMPTS)
                .description("Provider attempts by outcome and failure kind")
                .tags("provider", name, "outcome", outcome, "failure_kind", kind)
                .register(registry)).increment();
        if (attempt.outcome() != Attempt.SKIPPED) {
            attemptTimers.computeIfAbsent(name + "|" + outcome, k -> Timer.builder(MetricNames.PROVIDER_DURATION)
                    .description("Provider attempt latency")
                    .tags("provider", name, "outcome", outcome)
                    .serviceLevelObjectives(SLOS)
                    .register(registry)).record(attempt.durationMs(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void onFallback(String from, String to, FailureKind kind) {
        Counter.builder(MetricNames.FALLBACKS)
                .description("Fallbacks from one provider to the next")
                .tags("from", from, "to", to, "failure_kind", kind.name())
                .register(registry).increment();
    }

    @Override
    public void onQueueWait(ProviderHandle provider, long nanos, String outcome) {
        queueWaitTimers.computeIfAbsent(provider.name() + "|" + outcome, k -> Timer.builder(MetricNames.JOB_QUEUE_WAIT)
                .description("How long an asynchronous job waited for a provider's rate-limit permit or concurrency slot")
                .tags("provider", provider.name(), "outcome", outcome)
                .serviceLevelObjectives(QUEUE_WAIT_SLOS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Histogram buckets of the job queue wait, seconds to router.jobs.max-wait's default (10 min); a minute
     * apart above 2 min, where a batch under Leonardo's limits waits (bench/RESULTS.md: p95 176–213 s read
     * 274–281 s with a 2–5 min bucket).
     */
    private static final java.time.Duration[] QUEUE_WAIT_SLOS = {java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(5),
            java.time.Duration.ofSeconds(15), java.time.Duration.ofSeconds(30), java.time.Duration.ofMinutes(1),
            java.time.Duration.ofMinutes(2), java.time.Duration.ofMinutes(3), java.time.Duration.ofMinutes(4),
            java.time.Duration.ofMinutes(5), java.time.Duration.ofMinutes(7), java.time.Duration.ofMinutes(10)};

    private final java.util.Map<String, Timer> queueWaitTimers = new java.util.concurrent.ConcurrentHashMap<>();

    /** Records one finished client request. Meters are looked up once per tag set (hot path). */
    public void onRequest(String outcome, String cache, long nanos) {
        requests(outcome, cache).increment();
        requestTimers.computeIfAbsent(outcome, o -> Timer.builder(MetricNames.REQUEST_DURATION)
                .description("End-to-end generation request latency")
                .tags("outcome", o)
                .serviceLevelObjectives(SLOS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter requests(String outcome, String cache) {
        return requestCounters.computeIfAbsent(outcome + "|" + cache, k -> Counter.builder(MetricNames.REQUESTS)
                .description("Generation requests by outcome and cache status")
                .tags("outcome", outcome, "cache", cache)
                .register(registry));
    }

    private final java.util.Map<String, Counter> attemptCounters = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Timer> attemptTimers = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Counter> requestCounters = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Timer> requestTimers = new java.util.concurrent.ConcurrentHashMap<>();
}
