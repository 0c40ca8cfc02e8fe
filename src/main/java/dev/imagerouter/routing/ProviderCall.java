package dev.imagerouter.routing;

import dev.imagerouter.provider.ImageRequest;
import dev.imagerouter.provider.PartialImageListener;
import dev.imagerouter.provider.ProviderFailure;
import dev.imagerouter.provider.ProviderResult;
import dev.imagerouter.routing.policy.FailureKind;
import dev.imagerouter.routing.policy.PolicyAction;
import dev.imagerouter.routing.policy.PolicyRule;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/*
 * One provider's turn in the chain, wrapped outermost first:
 *   Retry ( CircuitBreaker ( RateLimiter ( TimeLimiter ( Bulkhead ( provider.generate )))))
 *
 * Each inner attempt classifies its failure (the provider's classifier already did) and decides,
 * from the provider's policy table, whether the Retry may call again: a RETRY row whose own
 * max-retries is not used up gets a delay (its backoff ± jitter, or the provider's Retry-After capped
 * by retry-after-cap); everything else stops the Retry. Nothing waits on a thread: the Retry,
 * rate-limiter waits and the time limiter use the shared scheduler.
 */
/** Runs one provider's turn: the Resilience4j stack around the adapter call. Stateless; thread-safe. */
final class ProviderCall {

    /** A failed inner attempt, carrying whether (and after how long) the Retry may try again. */
    static final class AttemptFailure extends RuntimeException {
        final ProviderFailure failure;
        final Duration retryDelay;

        AttemptFailure(ProviderFailure failure, Duration retryDelay) {
            super(failure.getMessage(), null, false, false);
            this.failure = failure;
            this.retryDelay = retryDelay;
        }
    }

    /** Trail reason of a provider whose daily budget cannot take another call. */
    static final String BUDGET = "BUDGET";

    private final ScheduledExecutorService scheduler;
    private final SpendReservations reservations;

    ProviderCall(ScheduledExecutorService scheduler, SpendReservations reservations) {
        this.scheduler = scheduler;
        this.reservations = reservations;
    }

    /**
     * Calls the provider with its policies. Completes with the result, or exceptionally with an
     * {@link AttemptFailure} for the last attempt. {@code onAttempt} sees every attempt.
     */
    CompletableFuture<ProviderResult> call(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                           PartialImageListener partials, BiConsumer<Attempt, ProviderFailure> onAttempt) {
        Map<FailureKind, Integer> counts = new EnumMap<>(FailureKind.class);
        return handle.resilience().retry()
                .executeCompletionStage(scheduler, () -> attempt(handle, request, processor, partials, counts, onAttempt))
                .toCompletableFuture();
    }

    private CompletableFuture<ProviderResult> attempt(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                      PartialImageListener partials, Map<FailureKind, Integer> counts,
                                                      BiConsumer<Attempt, ProviderFailure> onAttempt) {
        CircuitBreaker breaker = handle.resilience().circuitBreaker();
        if (!breaker.tryAcquirePermission()) {
            return skip(handle, FailureKind.CIRCUIT_OPEN, "circuit breaker " + breaker.getState(), onAttempt);
        }
        RateLimiter limiter = handle.resilience().rateLimiter();
        long waitNanos = limiter.reservePermission();
        if (waitNanos < 0) {
            breaker.releasePermission();
            return skip(handle, FailureKind.SKIPPED, "RATE_LIMITER", onAttempt);
        }
        CompletableFuture<Void> permit = waitNanos == 0 ? CompletableFuture.completedFuture(null)
                : delayed(waitNanos);
        return permit.thenCompose(ignored -> guardedCall(handle, request, processor, partials, counts, onAttempt));
    }

    private CompletableFuture<ProviderResult> guardedCall(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                          PartialImageListener partials, Map<FailureKind, Integer> counts,
                                                          BiConsumer<Attempt, ProviderFailure> onAttempt) {
        CircuitBreaker breaker = handle.resilience().circuitBreaker();
        Bulkhead bulkhead = handle.resilience().bulkhead();
        if (!bulkhead.tryAcquirePermission()) {
            breaker.releasePermission();
            return skip(handle, FailureKind.SKIPPED, "BULKHEAD_FULL", onAttempt);
        }
        Optional<SpendReservations.Reservation> reserved;
        try {
            reserved = reservations.reserve(handle, request);
        } catch (RuntimeException e) {
            bulkhead.onComplete();
            breaker.releasePermission();
            throw e;
        }
        if (reserved.isEmpty()) {
            bulkhead.onComplete();
            breaker.releasePermission();
            return skip(handle, FailureKind.SKIPPED, BUDGET, onAttempt);
        }
        SpendReservations.Reservation reservation = reserved.get();
        long start = System.nanoTime();
        CompletableFuture<ProviderResult> call;
        try {
            call = handle.resilience().timeLimiter()
                    .executeCompletionStage(scheduler, () -> handle.provider().generate(request, partials)
                            .thenCompose(result -> processor.process(request, result)))
                    .toCompletableFuture();
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle((result, error) -> {
            bulkhead.onComplete();
            long nanos = System.nanoTime() - start;
            long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
            if (error == null) {
                reservation.settle(result.cost());
                breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                onAttempt.accept(new Attempt(handle.name(), Attempt.SUCCESS, null, null, millis, null), null);
                return result;
            }
            reservation.release();
            ProviderFailure failure = toFailure(error);
            breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
            Attempt attempt = new Attempt(handle.name(), Attempt.FAILURE, failure.kind().name(),
                    failure.httpStatus().orElse(null), millis, failure.getMessage());
            handle.recordFailure(attempt);
            onAttempt.accept(attempt, failure);
            int count = counts.merge(failure.kind(), 1, Integer::sum);
            Optional<PolicyRule> rule = handle.policy().rule(failure.kind());
            Duration retryDelay = null;
            if (rule.isPresent() && rule.get().action() == PolicyAction.RETRY && count <= rule.get().maxRetries()) {
                retryDelay = delayFor(rule.get(), failure);
            } else if (rule.isPresent() && failure.retryAfter().isPresent()) {
                handle.coolDown(min(failure.retryAfter().get(), rule.get().retryAfterCap()));
            }
            throw new AttemptFailure(failure, retryDelay);
        });
    }

    private CompletableFuture<ProviderResult> skip(ProviderHandle handle, FailureKind kind, String reason,
                                                   BiConsumer<Attempt, ProviderFailure> onAttempt) {
        onAttempt.accept(new Attempt(handle.name(), Attempt.SKIPPED, kind.name(), null, 0, reason), null);
        return CompletableFuture.failedFuture(new AttemptFailure(new ProviderFailure(kind, reason), null));
    }

    private CompletableFuture<Void> delayed(long nanos) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        scheduler.schedule(() -> f.complete(null), nanos, TimeUnit.NANOSECONDS);
        return f;
    }

    /** The retry delay: the provider's Retry-After (capped) if it sent one, else backoff ± jitter. */
    static Duration delayFor(PolicyRule rule, ProviderFailure failure) {
        if (failure.retryAfter().isPresent()) {
            return min(failure.retryAfter().get(), rule.retryAfterCap());
        }
        long base = rule.backoff().toMillis();
        if (rule.jitter() == 0 || base == 0) {
            return rule.backoff();
        }
        double factor = 1 + ThreadLocalRandom.current().nextDouble(-rule.jitter(), rule.jitter());
        return Duration.ofMillis(Math.max(0, Math.round(base * factor)));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    static ProviderFailure toFailure(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof ProviderFailure pf) {
            return pf;
        }
        if (t instanceof AttemptFailure af) {
            return af.failure;
        }
        if (t instanceof TimeoutException || t instanceof CancellationException) {
            return new ProviderFailure(FailureKind.TIMEOUT, "no result within the provider timeout");
        }
        return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "unexpected error: " + t.getClass().getSimpleName(),
                null, null, t);
    }

    /** The delay before the next retry, when the failure allows one. */
    static Optional<Duration> retryDelay(Throwable t) {
        return unwrap(t) instanceof AttemptFailure af ? Optional.ofNullable(af.retryDelay) : Optional.empty();
    }

    /** The classified failure inside any wrapper, or null. */
    static ProviderFailure failureOf(Throwable t) {
        Throwable u = unwrap(t);
        if (u instanceof ProviderFailure pf) {
            return pf;
        }
        return u instanceof AttemptFailure af ? af.failure : null;
    }

    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
