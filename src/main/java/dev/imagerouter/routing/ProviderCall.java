package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyAction;
import dev.imagerouter.policy.PolicyRule;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

// Over 300 lines because one provider's turn including the settlement of paid and late results; the timeout path and the settlement must be read side by side.

/*
 * One provider's turn in the chain, wrapped outermost first:
 *   Retry ( CircuitBreaker ( RateLimiter ( TimeLimiter ( Bulkhead ( provider.generate )))))
 *
 * Each inner attempt classifies its failure (the provider's classifier already did) and decides,
 * from the provider's policy table, whether the Retry may call again: a failure BEFORE_ACCEPT (an
 * accepted or possibly created job is never created again) of a RETRY row whose own
 * max-retries is not used up gets a delay (its backoff ± jitter, or the provider's Retry-After capped
 * by retry-after-cap); everything else stops the Retry. Nothing waits on a thread: the Retry,
 * rate-limiter waits and the time limiter use the shared scheduler.
 *
 * Money safety: the provider's future is the generation's whole life and is never cancelled. The
 * time limiter ends the attempt, not the job: on timeout the chain moves on (or, with the TIMEOUT
 * row's wait-for-accepted-job, keeps waiting for an accepted job) while the job's end is still
 * awaited: its bulkhead slot (the provider's concurrent jobs) is held until then, a late result goes
 * to ResultProcessor.late, and the spend reservation is settled (paid) or released. Every paid
 * generation is reported once to the PaidListener, with whether its images were used.
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
                                           PartialImageListener partials, BiConsumer<Attempt, ProviderFailure> onAttempt,
                                           PaidListener onPaid) {
        Map<FailureKind, Integer> counts = new EnumMap<>(FailureKind.class);
        return handle.resilience().retry()
                .executeCompletionStage(scheduler, () -> attempt(handle, request, processor, partials, counts, onAttempt, onPaid))
                .toCompletableFuture();
    }

    /** Hears every paid generation once, when its fate is known (see {@link RoutingListener#onPaid}). */
    @FunctionalInterface
    interface PaidListener {
        void paid(Optional<ProviderResult.Cost> cost, boolean used);
    }

    private CompletableFuture<ProviderResult> attempt(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                      PartialImageListener partials, Map<FailureKind, Integer> counts,
                                                      BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
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
        return permit.thenCompose(ignored -> guardedCall(handle, request, processor, partials, counts, onAttempt, onPaid));
    }

    private CompletableFuture<ProviderResult> guardedCall(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                          PartialImageListener partials, Map<FailureKind, Integer> counts,
                                                          BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
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
        AtomicReference<String> acceptedJob = new AtomicReference<>();
        // work: the generation's whole life (a Leonardo job to its terminal state); never cancelled
        CompletableFuture<ProviderResult> work;
        try {
            work = handle.provider().generate(request, partials, acceptedJob::set);
        } catch (RuntimeException e) {
            work = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ProviderResult> generation = work;
        CompletableFuture<ProviderResult> processed = work.thenCompose(result -> processor.process(request, result));
        // The bulkhead slot is the provider's concurrent job: held until the job is terminal, even
        // when the attempt timed out and the chain moved on.
        processed.whenComplete((r, e) -> bulkhead.onComplete());
        boolean waitForAccepted = handle.policy().rule(FailureKind.TIMEOUT).map(PolicyRule::waitForAcceptedJob).orElse(false);
        CompletableFuture<ProviderResult> attempt;
        try {
            // the time limiter cancels only this copy on timeout, never the job
            attempt = handle.resilience().timeLimiter()
                    .executeCompletionStage(scheduler, () -> processed.thenApply(r -> r))
                    .toCompletableFuture();
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        if (waitForAccepted) {
            attempt = attempt.exceptionallyCompose(e -> isTimeout(e) && acceptedJob.get() != null
                    ? processed : CompletableFuture.failedFuture(e));
        }
        return attempt.handle((result, error) -> {
            long nanos = System.nanoTime() - start;
            long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
            if (error == null) {
                reservation.settle(result.cost());
                onPaid.paid(result.cost(), true);
                breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                onAttempt.accept(new Attempt(handle.name(), Attempt.SUCCESS, null, null, millis, null), null);
                return result;
            }
            ProviderFailure failure;
            if (isTimeout(error)) { // only the time limiter ends an attempt with a timeout: providers classify theirs
                String job = acceptedJob.get();
                failure = new ProviderFailure(FailureKind.TIMEOUT, job == null
                        ? "no result within the provider timeout"
                        : "no result within the provider timeout; accepted job " + job + " is tracked to its end");
                // accepted: a paid job exists; not yet: the request is out without an answer
                failure = job == null ? failure.ambiguous() : failure.accepted(false, Optional.empty());
                settleLate(handle.name(), request, processor, generation, processed, reservation, onPaid);
            } else {
                failure = toFailure(error);
                Optional<Optional<ProviderResult.Cost>> paid = paid(generation, failure);
                if (paid.isPresent()) {
                    reservation.settle(paid.get());
                    onPaid.paid(paid.get(), false);
                } else {
                    reservation.release();
                }
            }
            breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
            Attempt attemptRecord = new Attempt(handle.name(), Attempt.FAILURE, failure.kind(),
                    failure.httpStatus().orElse(null), millis, failure.getMessage());
            handle.recordFailure(attemptRecord);
            onAttempt.accept(attemptRecord, failure);
            int count = counts.merge(failure.kind(), 1, Integer::sum);
            Optional<PolicyRule> rule = handle.policy().rule(failure.kind());
            Duration retryDelay = null;
            // RETRY applies before accept only: an accepted or possibly created job is never created again
            if (rule.isPresent() && rule.get().action() == PolicyAction.RETRY && count <= rule.get().maxRetries()
                    && failure.phase() == ProviderFailure.Phase.BEFORE_ACCEPT) {
                retryDelay = delayFor(rule.get(), failure);
            } else if (rule.isPresent() && failure.retryAfter().isPresent()) {
                handle.coolDown(min(failure.retryAfter().get(), rule.get().retryAfterCap()));
            }
            throw new AttemptFailure(failure, retryDelay);
        });
    }

    /**
     * After the attempt timed out: waits for the generation's end and settles it. A result that
     * arrives goes to the processor's {@link ResultProcessor#late} (stored, made the cached result
     * when none is); a paid failure is counted unused; anything else gives the reservation back.
     */
    private static void settleLate(String provider, ImageRequest request, ResultProcessor processor, CompletableFuture<ProviderResult> generation,
                                   CompletableFuture<ProviderResult> processed, SpendReservations.Reservation reservation,
                                   PaidListener onPaid) {
        processed.whenComplete((result, error) -> {
            if (result != null) {
                CompletableFuture<Boolean> used;
                try {
                    used = processor.late(provider, request, result);
                } catch (RuntimeException e) {
                    used = CompletableFuture.failedFuture(e);
                }
                used.whenComplete((u, e) -> {
                    reservation.settle(result.cost());
                    onPaid.paid(result.cost(), e == null && Boolean.TRUE.equals(u));
                });
                return;
            }
            Optional<Optional<ProviderResult.Cost>> paid = paid(generation, toFailure(error));
            if (paid.isPresent()) {
                reservation.settle(paid.get());
                onPaid.paid(paid.get(), false);
            } else {
                reservation.release();
            }
        });
    }

    /**
     * Whether a failed generation was paid, and what it cost: the provider's result came back but
     * could not be used (processing failed), or the provider says its accepted job was paid.
     *
     * @return empty when nothing was paid; else the cost (itself empty when unknown)
     */
    private static Optional<Optional<ProviderResult.Cost>> paid(CompletableFuture<ProviderResult> generation,
                                                               ProviderFailure failure) {
        if (generation.isDone() && !generation.isCompletedExceptionally()) {
            return Optional.of(generation.join().cost());
        }
        return failure.paid() ? Optional.of(failure.cost()) : Optional.empty();
    }

    private static boolean isTimeout(Throwable error) {
        Throwable t = unwrap(error);
        return t instanceof TimeoutException || t instanceof CancellationException;
    }

    private CompletableFuture<ProviderResult> skip(ProviderHandle handle, FailureKind kind, String reason,
                                                   BiConsumer<Attempt, ProviderFailure> onAttempt) {
        onAttempt.accept(new Attempt(handle.name(), Attempt.SKIPPED, kind, null, 0, reason), null);
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
