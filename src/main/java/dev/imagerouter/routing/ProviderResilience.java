package dev.imagerouter.routing;

import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.provider.ResilienceSettings;
import dev.imagerouter.vocabulary.FailureKind;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;

import io.github.resilience4j.core.Registry;

import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds and keeps the Resilience4j instances of each provider, in registries that the metrics bind to.
 * Circuit breaker, retry and time limiter are the provider's own, named after it. The rate limiter and
 * the bulkhead belong to the provider's account ({@link ProviderConfig#limitKey()}), named after it:
 * every provider of one account gets the same two instances, so that, for example, Leonardo Phoenix
 * and FLUX files on one key never hold more than the account's 10 concurrent jobs together (the
 * configuration loader checks that their files agree on those limits). Instances are reused across
 * configuration reloads while the settings that shape them are unchanged, so breaker state and
 * rate-limiter permits carry over. Thread-safe.
 *
 * <p>Wrapping order, outermost first: Retry ( CircuitBreaker ( RateLimiter ( TimeLimiter ( Bulkhead ( call ))))).
 * Only failure kinds that say the provider is unhealthy count against the breaker
 * ({@link FailureKind#signalsUnhealthyProvider()}); the others are ignored by it.
 */
public final class ProviderResilience {

    /** The Resilience4j instances of one provider (the rate limiter and bulkhead are its account's). */
    public record Instances(Retry retry, CircuitBreaker circuitBreaker, RateLimiter rateLimiter, TimeLimiter timeLimiter,
                            Bulkhead bulkhead) {
    }

    /** An account's shared rate limiter and bulkhead, and the settings they were built from. */
    private record AccountLimits(String shape, RateLimiter rateLimiter, Bulkhead bulkhead) {
    }

    private final CircuitBreakerRegistry circuitBreakers = CircuitBreakerRegistry.ofDefaults();
    private final RateLimiterRegistry rateLimiters = RateLimiterRegistry.ofDefaults();
    private final TimeLimiterRegistry timeLimiters = TimeLimiterRegistry.ofDefaults();
    private final BulkheadRegistry bulkheads = BulkheadRegistry.ofDefaults();
    private final RetryRegistry retries = RetryRegistry.ofDefaults();
    private final Map<String, String> shapes = new ConcurrentHashMap<>();
    private final Map<String, Instances> instances = new ConcurrentHashMap<>();
    private final Map<String, AccountLimits> accounts = new ConcurrentHashMap<>();

    public CircuitBreakerRegistry circuitBreakers() {
        return circuitBreakers;
    }

    public RateLimiterRegistry rateLimiters() {
        return rateLimiters;
    }

    public BulkheadRegistry bulkheads() {
        return bulkheads;
    }

    public RetryRegistry retries() {
        return retries;
    }

    public TimeLimiterRegistry timeLimiters() {
        return timeLimiters;
    }

    /** The instances for a provider, reused when nothing that shapes them changed. */
    public synchronized Instances forProvider(ProviderConfig config) {
        String name = config.name();
        ResilienceSettings s = config.resilience();
        AccountLimits limits = accountLimits(config);
        String shape = breakerShape(s) + "|" + config.timeout() + "|" + config.policy().maxRetries();
        Instances existing = instances.get(name);
        if (existing != null && shape.equals(shapes.get(name)) && existing.rateLimiter() == limits.rateLimiter()
                && existing.bulkhead() == limits.bulkhead()) {
            return existing;
        }
        // The breaker keeps its live state while its own settings are unchanged.
        boolean keepBreaker = existing != null && breakerShape(s).equals(breakerPart(shapes.get(name)));
        CircuitBreaker breaker = keepBreaker ? existing.circuitBreaker() : fresh(circuitBreakers, name,
                () -> circuitBreakers.circuitBreaker(name, CircuitBreakerConfig.custom()
                        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                        .slidingWindowSize(s.slidingWindowSize())
                        .minimumNumberOfCalls(s.minimumCalls())
                        .failureRateThreshold(s.failureRateThreshold())
                        .waitDurationInOpenState(s.waitInOpen())
                        .permittedNumberOfCallsInHalfOpenState(s.permittedCallsInHalfOpen())
                        .recordException(ProviderResilience::countsAgainstBreaker)
                        .ignoreException(t -> !countsAgainstBreaker(t))
                        .build()));
        TimeLimiter timeLimiter = fresh(timeLimiters, name, () -> timeLimiters.timeLimiter(name, TimeLimiterConfig.custom()
                .timeoutDuration(config.timeout())
                .cancelRunningFuture(true)
                .build()));
        Retry retry = fresh(retries, name, () -> retries.retry(name, RetryConfig.custom()
                .maxAttempts(1 + config.policy().maxRetries())
                .retryOnException(t -> ProviderCall.retryDelay(t).isPresent())
                .intervalBiFunction((attempt, either) -> either.isLeft()
                        ? ProviderCall.retryDelay(either.getLeft()).map(Duration::toMillis).orElse(0L) : 0L)
                .failAfterMaxAttempts(false)
                .build()));
        Instances created = new Instances(retry, breaker, limits.rateLimiter(), timeLimiter, limits.bulkhead());
        instances.put(name, created);
        shapes.put(name, shape);
        return created;
    }

    /**
     * The rate limiter and bulkhead of the provider's account, built from its settings when the account has none yet
     * or its shared settings changed (a reload); the same instances for every provider of the account otherwise.
     */
    private AccountLimits accountLimits(ProviderConfig config) {
        String account = config.limitKey();
        ResilienceSettings s = config.resilience();
        String shape = s.limitForPeriod() + "|" + s.limitRefreshPeriod() + "|" + s.permitWait() + "|" + s.maxConcurrentCalls();
        AccountLimits current = accounts.get(account);
        if (current != null && current.shape().equals(shape)) {
            return current;
        }
        RateLimiter limiter = fresh(rateLimiters, account, () -> rateLimiters.rateLimiter(account, RateLimiterConfig.custom()
                .limitForPeriod(s.limitForPeriod())
                .limitRefreshPeriod(s.limitRefreshPeriod())
                .timeoutDuration(s.permitWait())
                .build()));
        Bulkhead bulkhead = fresh(bulkheads, account, () -> bulkheads.bulkhead(account, BulkheadConfig.custom()
                .maxConcurrentCalls(s.maxConcurrentCalls())
                .maxWaitDuration(Duration.ZERO)
                .build()));
        AccountLimits created = new AccountLimits(shape, limiter, bulkhead);
        accounts.put(account, created);
        return created;
    }

    private static String breakerShape(ResilienceSettings s) {
        return s.failureRateThreshold() + "/" + s.minimumCalls() + "/" + s.slidingWindowSize() + "/" + s.waitInOpen() + "/"
                + s.permittedCallsInHalfOpen();
    }

    private static String breakerPart(String shape) {
        return shape == null ? "" : shape.substring(0, shape.indexOf('|'));
    }

    /** Removes any instance of that name and creates a new one, so the registry's listeners (metrics) see it. */
    private static <E> E fresh(Registry<E, ?> registry, String name, Supplier<E> create) {
        registry.remove(name);
        return create.get();
    }

    static boolean countsAgainstBreaker(Throwable t) {
        ProviderFailure failure = ProviderCall.failureOf(t);
        return failure != null && failure.kind().signalsUnhealthyProvider();
    }
}
