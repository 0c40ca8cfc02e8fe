package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;

import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.policy.PolicyTable;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A provider instance in a chain, with its configuration, Resilience4j instances and the little
 * live state the router keeps (a Retry-After cooldown, the last failure). Thread-safe.
 */
public final class ProviderHandle {

    private final ImageProvider provider;
    private final ProviderConfig config;
    private final ProviderResilience.Instances resilience;
    private final Clock clock;
    private final AtomicReference<Instant> coolDownUntil;
    private final AtomicReference<Attempt> lastFailure;

    ProviderHandle(ImageProvider provider, ProviderConfig config, ProviderResilience.Instances resilience, Clock clock,
                   ProviderHandle previous) {
        this.provider = provider;
        this.config = config;
        this.resilience = resilience;
        this.clock = clock;
        this.coolDownUntil = previous == null ? new AtomicReference<>(Instant.MIN) : previous.coolDownUntil;
        this.lastFailure = previous == null ? new AtomicReference<>() : previous.lastFailure;
    }

    public String name() {
        return provider.name();
    }

    public ImageProvider provider() {
        return provider;
    }

    public ProviderConfig config() {
        return config;
    }

    public PolicyTable policy() {
        return config.policy();
    }

    public ProviderResilience.Instances resilience() {
        return resilience;
    }

    /** Honours a provider's Retry-After after a fallback: the router skips it until then. */
    void coolDown(Duration duration) {
        Instant until = clock.instant().plus(duration);
        coolDownUntil.accumulateAndGet(until, (a, b) -> a.isAfter(b) ? a : b);
    }

    /** Whether a Retry-After cooldown is running now. */
    public boolean coolingDown() {
        return clock.instant().isBefore(coolDownUntil.get());
    }

    void recordFailure(Attempt attempt) {
        lastFailure.set(attempt);
    }

    /**
     * Concurrency slots (bulkhead permits) taken now: provider calls under way, an accepted job counting
     * as one until it is terminal, also after its attempt timed out.
     */
    public int slotsInUse() {
        var bulkhead = resilience.bulkhead();
        return bulkhead.getBulkheadConfig().getMaxConcurrentCalls() - bulkhead.getMetrics().getAvailableConcurrentCalls();
    }

    /** The last failed attempt at this provider, if any. */
    public Optional<Attempt> lastFailure() {
        return Optional.ofNullable(lastFailure.get());
    }
}
