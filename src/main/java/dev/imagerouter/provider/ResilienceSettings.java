package dev.imagerouter.provider;

import java.time.Duration;

/**
 * Per-provider Resilience4j settings. Defaults for Leonardo come from its published limits
 * (100 {@code POST /generations} per minute, 10 concurrent generation jobs:
 * https://docs.leonardo.ai/v1.0/reference/limits, see shared/specs/leonardo/WIRE.md §6.3).
 *
 * @param failureRateThreshold       percentage of recorded calls that opens the breaker, 1..100
 * @param minimumCalls               calls in the window before the rate is evaluated
 * @param slidingWindowSize          size of the count-based sliding window
 * @param waitInOpen                 how long the breaker stays OPEN before HALF_OPEN
 * @param permittedCallsInHalfOpen   trial calls in HALF_OPEN
 * @param limitForPeriod             rate limiter permits per refresh period (the limiter is the provider's account's,
 *                                   {@link ProviderConfig#limitKey()})
 * @param limitRefreshPeriod         rate limiter period
 * @param permitWait                 longest wait for a rate-limiter permit before falling back
 * @param maxConcurrentCalls         bulkhead size (calls in flight and accepted jobs at the provider's account)
 */
public record ResilienceSettings(int failureRateThreshold, int minimumCalls, int slidingWindowSize, Duration waitInOpen,
                                 int permittedCallsInHalfOpen, int limitForPeriod, Duration limitRefreshPeriod,
                                 Duration permitWait, int maxConcurrentCalls) {
}
