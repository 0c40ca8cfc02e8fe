package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.JobListener;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyAction;
import dev.imagerouter.policy.PolicyRule;
import dev.imagerouter.tracing.Activation;
import dev.imagerouter.tracing.AttemptSpan;
import dev.imagerouter.tracing.Tracing;
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
 * awaited: its bulkhead slot (the provider's concurrent jobs; with REDIS_URI also the account's shared
 * slot, SharedLimits) is held until then, a late result goes
 * to ResultProcessor.late, and the spend reservation is settled (paid) or released. Every paid
 * generation is reported once to the PaidListener, with whether its images were used.
 *
 * Tracing: each inner attempt that calls the provider is one span (Tracing.ATTEMPT_SPAN), a child of
 * the walk's TraceParent, started before the adapter is called and ended with the attempt's record.
 * The span is current only while the adapter starts its calls (it reads the trace headers then).
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
    /** Trail reason of a provider a queued job waited for longer than its queue wait ({@code router.jobs.max-wait}). */
    static final String QUEUE_TIMEOUT = "QUEUE_TIMEOUT";

    private final ScheduledExecutorService scheduler;
    private final SpendReservations reservations;

    private final PermitQueues queues;
    private final QueueWaitListener onQueueWait;
    private final Tracing tracing;

    /** Hears how long a queued walk waited for a provider's permits, and how the wait ended. */
    @FunctionalInterface
    interface QueueWaitListener {
        /** @param outcome {@code admitted}, {@code expired} or {@code cancelled} */
        void waited(ProviderHandle handle, long nanos, String outcome);
    }

    ProviderCall(ScheduledExecutorService scheduler, SpendReservations reservations, PermitQueues queues,
                 QueueWaitListener onQueueWait, Tracing tracing) {
        this.scheduler = scheduler;
        this.reservations = reservations;
        this.queues = queues;
        this.onQueueWait = onQueueWait;
        this.tracing = tracing;
    }

    /**
     * Calls the provider with its policies. Completes with the result, or exceptionally with an
     * {@link AttemptFailure} for the last attempt. {@code onAttempt} sees every attempt.
     */
    CompletableFuture<ProviderResult> call(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                           RouteOptions options, BiConsumer<Attempt, ProviderFailure> onAttempt,
                                           PaidListener onPaid) {
        Map<FailureKind, Integer> counts = new EnumMap<>(FailureKind.class);
        return handle.resilience().retry()
                .executeCompletionStage(scheduler, () -> attempt(handle, request, processor, options, counts, onAttempt, onPaid))
                .toCompletableFuture();
    }

    /** Hears every paid generation once, when its fate is known (see {@link RoutingListener#onPaid}). */
    @FunctionalInterface
    interface PaidListener {
        void paid(Optional<ProviderResult.Cost> cost, boolean used);
    }

    private CompletableFuture<ProviderResult> attempt(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                      RouteOptions options, Map<FailureKind, Integer> counts,
                                                      BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
        CircuitBreaker breaker = handle.resilience().circuitBreaker();
        if (!breaker.tryAcquirePermission()) {
            return skip(handle, FailureKind.CIRCUIT_OPEN, "circuit breaker " + breaker.getState(), onAttempt);
        }
        if (options.queueWait().isPresent()) {
            // a queued job: the breaker is asked again once the job is admitted
            breaker.releasePermission();
            return queued(handle, request, processor, options, counts, onAttempt, onPaid);
        }
        if (queues.limits().use()) {
            return sharedAttempt(handle, request, processor, options, counts, onAttempt, onPaid);
        }
        return localAttempt(handle, request, processor, options, counts, onAttempt, onPaid);
    }

    /** A synchronous attempt under this replica's own rate limiter (no Redis, or Redis down). */
    private CompletableFuture<ProviderResult> localAttempt(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                           RouteOptions options, Map<FailureKind, Integer> counts,
                                                           BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
        RateLimiter limiter = handle.resilience().rateLimiter();
        long waitNanos = limiter.reservePermission();
        if (waitNanos < 0) {
            handle.resilience().circuitBreaker().releasePermission();
            return skip(handle, FailureKind.SKIPPED, "RATE_LIMITER", onAttempt);
        }
        CompletableFuture<Void> permit = waitNanos == 0 ? CompletableFuture.completedFuture(null)
                : delayed(waitNanos);
        return permit.thenCompose(ignored -> guardedCall(handle, request, processor, options, false, SharedLimits.Slot.NONE,
                counts, onAttempt, onPaid));
    }

    /**
     * A synchronous attempt while the account's limits are shared (Redis up): this replica's bulkhead
     * slot, then the account's slot and create permit in one round trip. No free shared slot or
     * permit skips the provider as a full bulkhead or limiter does (BULKHEAD_FULL, RATE_LIMITER);
     * Redis failing on the way falls back to the local limiter.
     */
    private CompletableFuture<ProviderResult> sharedAttempt(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                            RouteOptions options, Map<FailureKind, Integer> counts,
                                                            BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
        CircuitBreaker breaker = handle.resilience().circuitBreaker();
        Bulkhead bulkhead = handle.resilience().bulkhead();
        if (!bulkhead.tryAcquirePermission()) {
            breaker.releasePermission();
            return skip(handle, FailureKind.SKIPPED, Router.BULKHEAD_FULL, onAttempt);
        }
        return queues.limits().acquire(handle, true).thenCompose(admission -> {
            if (admission instanceof SharedLimits.Granted granted) {
                return guardedCall(handle, request, processor, options, true, granted.slot(), counts, onAttempt, onPaid);
            }
            if (admission instanceof SharedLimits.Refused refused) {
                releaseSlot(handle, SharedLimits.Slot.NONE);
                breaker.releasePermission();
                return skip(handle, FailureKind.SKIPPED, refused.reason(), onAttempt);
            }
            releaseSlot(handle, SharedLimits.Slot.NONE); // localAttempt takes it again after the local limiter
            return localAttempt(handle, request, processor, options, counts, onAttempt, onPaid);
        });
    }

    /**
     * An asynchronous job's turn: waits in the provider's queue for a slot and a permit, then calls.
     * A 429 the provider answers before accepting anything (its own limiter was full, e.g. the
     * account is shared with other tools) puts the job back in the queue after the provider's
     * Retry-After (capped by the row's retry-after-cap) or one pacing interval, until the queue wait
     * ({@code router.jobs.max-wait}) is used up; only then does the policy's fallback apply.
     */
    private CompletableFuture<ProviderResult> queued(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                     RouteOptions options, Map<FailureKind, Integer> counts,
                                                     BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
        long deadline = System.nanoTime() + options.queueWait().get().toNanos();
        return queuedUntil(handle, request, processor, options, counts, onAttempt, onPaid, deadline);
    }

    private CompletableFuture<ProviderResult> queuedUntil(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                          RouteOptions options, Map<FailureKind, Integer> counts,
                                                          BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid,
                                                          long deadline) {
        long start = System.nanoTime();
        options.observer().onWaiting(handle.name());
        Duration wait = Duration.ofNanos(Math.max(0, deadline - start));
        return queues.acquire(handle, wait, options.cancelled())
                .handle((slot, error) -> new Object[]{slot, error})
                .thenCompose(pair -> {
                    SharedLimits.Slot slot = (SharedLimits.Slot) pair[0];
                    Throwable error = (Throwable) pair[1];
                    long waited = System.nanoTime() - start;
                    Throwable cause = error == null ? null : unwrap(error);
                    if (cause instanceof PermitQueues.QueueTimeoutException) {
                        onQueueWait.waited(handle, waited, "expired");
                        return skip(handle, FailureKind.SKIPPED, QUEUE_TIMEOUT, onAttempt);
                    }
                    if (cause != null) {
                        onQueueWait.waited(handle, waited, "cancelled");
                        return CompletableFuture.failedFuture(cause);
                    }
                    onQueueWait.waited(handle, waited, "admitted");
                    CircuitBreaker breaker = handle.resilience().circuitBreaker();
                    if (!breaker.tryAcquirePermission()) {
                        slot.giveBack();
                        releaseSlot(handle, SharedLimits.Slot.NONE);
                        return skip(handle, FailureKind.CIRCUIT_OPEN, "circuit breaker " + breaker.getState(), onAttempt);
                    }
                    return guardedCall(handle, request, processor, options, true, slot, counts, onAttempt, onPaid);
                })
                .exceptionallyCompose(error -> {
                    ProviderFailure failure = failureOf(error);
                    long now = System.nanoTime();
                    if (failure == null || failure.kind() != FailureKind.RATE_LIMITED
                            || failure.phase() != ProviderFailure.Phase.BEFORE_ACCEPT || now >= deadline) {
                        return CompletableFuture.failedFuture(error);
                    }
                    Duration cap = handle.policy().rule(FailureKind.RATE_LIMITED).map(PolicyRule::retryAfterCap)
                            .orElse(Duration.ofSeconds(30));
                    long delay = failure.retryAfter().map(d -> min(d, cap).toNanos())
                            .orElse(PermitQueues.spacing(handle.resilience().rateLimiter()));
                    return delayed(Math.min(delay, deadline - now)).thenCompose(v ->
                            queuedUntil(handle, request, processor, options, counts, onAttempt, onPaid, deadline));
                });
    }

    /**
     * Gives this replica's bulkhead slot back, releases the account's shared slot (its create stays
     * counted), and lets a queued job have them.
     */
    private void releaseSlot(ProviderHandle handle, SharedLimits.Slot shared) {
        handle.resilience().bulkhead().onComplete();
        shared.release();
        queues.signalAccount(handle);
    }

    /** As {@link #releaseSlot}, for a call that was never made: the shared create permit is given back too. */
    private void giveBackSlot(ProviderHandle handle, SharedLimits.Slot shared) {
        shared.giveBack();
        releaseSlot(handle, SharedLimits.Slot.NONE);
    }

    private CompletableFuture<ProviderResult> guardedCall(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                          RouteOptions options, boolean slotHeld, SharedLimits.Slot shared,
                                                          Map<FailureKind, Integer> counts,
                                                          BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
        CircuitBreaker breaker = handle.resilience().circuitBreaker();
        Bulkhead bulkhead = handle.resilience().bulkhead();
        if (!slotHeld && !bulkhead.tryAcquirePermission()) {
            breaker.releasePermission();
            return skip(handle, FailureKind.SKIPPED, Router.BULKHEAD_FULL, onAttempt);
        }
        CompletableFuture<Optional<SpendReservations.Reservation>> reserving = reservations.reserveAsync(handle, request);
        if (reserving.isDone() && !reserving.isCompletedExceptionally()) { // decided here (no shared spend): go on in place
            return reserved(handle, request, processor, options, shared, counts, onAttempt, onPaid, reserving.join());
        }
        return reserving.handle((reserved, error) -> {
            if (error != null) {
                giveBackSlot(handle, shared);
                breaker.releasePermission();
                return CompletableFuture.<ProviderResult>failedFuture(error);
            }
            return reserved(handle, request, processor, options, shared, counts, onAttempt, onPaid, reserved);
        }).thenCompose(f -> f);
    }

    /** The call once the spend reservation is decided ({@code reserved} empty: the budget is reached). */
    private CompletableFuture<ProviderResult> reserved(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                       RouteOptions options, SharedLimits.Slot shared, Map<FailureKind, Integer> counts,
                                                       BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid,
                                                       Optional<SpendReservations.Reservation> reserved) {
        CircuitBreaker breaker = handle.resilience().circuitBreaker();
        if (reserved.isEmpty()) {
            giveBackSlot(handle, shared);
            breaker.releasePermission();
            return skip(handle, FailureKind.SKIPPED, BUDGET, onAttempt);
        }
        CompletableFuture<Boolean> recorded;
        try {
            recorded = options.observer().beforeCall(handle.name());
        } catch (RuntimeException e) {
            recorded = CompletableFuture.failedFuture(e);
        }
        if (recorded.isDone() && Boolean.TRUE.equals(recorded.getNow(false))) {
            return call(handle, request, processor, options, reserved.get(), counts, onAttempt, onPaid, null, true, shared);
        }
        return recorded.handle((proceed, error) -> error == null && Boolean.TRUE.equals(proceed))
                .thenCompose(proceed -> {
                    if (!proceed) {
                        reserved.get().release();
                        giveBackSlot(handle, shared);
                        breaker.releasePermission();
                        return CompletableFuture.failedFuture(
                                new WalkCancelledException("the job was cancelled (or its call could not be recorded) before the call"));
                    }
                    return call(handle, request, processor, options, reserved.get(), counts, onAttempt, onPaid, null, true, shared);
                });
    }

    /**
     * Resumes an accepted job after a restart ({@link ImageProvider#resume}): tracked to its end as
     * if this process had created it, its result processed, settled and counted like any other.
     * Never creates a job. Takes a concurrency slot when one is free (the job runs at the provider
     * either way); a budget that cannot take it does not stop it (it is already paid).
     */
    CompletableFuture<ProviderResult> resume(ProviderHandle handle, ImageRequest request, String jobId,
                                             ResultProcessor processor, RouteOptions options,
                                             BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid) {
        Optional<CompletableFuture<ProviderResult>> resumed;
        try {
            resumed = handle.provider().resume(request, jobId);
        } catch (RuntimeException e) {
            resumed = Optional.of(CompletableFuture.failedFuture(e));
        }
        if (resumed.isEmpty()) {
            return skip(handle, FailureKind.SKIPPED, RouteOptions.INTERRUPTED + ": " + handle.provider().type()
                    + " jobs cannot be resumed", onAttempt);
        }
        boolean slot = handle.resilience().bulkhead().tryAcquirePermission();
        SpendReservations.Reservation reservation;
        try {
            reservation = reservations.reserve(handle, request).orElse(SpendReservations.Reservation.NONE);
        } catch (RuntimeException e) {
            reservation = SpendReservations.Reservation.NONE;
        }
        CompletableFuture<ProviderResult> work = resumed.get();
        SpendReservations.Reservation reserved = reservation;
        // the account's slot too when one is free (no create is counted: the job exists); the job runs either way
        CompletableFuture<SharedLimits.Admission> shared = slot && queues.limits().use()
                ? queues.limits().acquire(handle, false) : CompletableFuture.completedFuture(new SharedLimits.Unavailable());
        return shared.thenCompose(admission -> call(handle, request, processor, options, reserved, new EnumMap<>(FailureKind.class),
                onAttempt, onPaid, listener -> {
                    listener.accepted(jobId);
                    return work;
                }, slot, admission instanceof SharedLimits.Granted g ? g.slot() : SharedLimits.Slot.NONE));
    }

    /**
     * The provider call itself, with the slot (when {@code slotHeld}), the breaker's permission and
     * the reservation held. {@code start} starts the work (null: the provider's generate).
     */
    private CompletableFuture<ProviderResult> call(ProviderHandle handle, ImageRequest request, ResultProcessor processor,
                                                   RouteOptions options, SpendReservations.Reservation reservation,
                                                   Map<FailureKind, Integer> counts,
                                                   BiConsumer<Attempt, ProviderFailure> onAttempt, PaidListener onPaid,
                                                   java.util.function.Function<JobListener, CompletableFuture<ProviderResult>> start,
                                                   boolean slotHeld, SharedLimits.Slot shared) {
        CircuitBreaker breaker = handle.resilience().circuitBreaker();
        long startNanos = System.nanoTime();
        AttemptSpan span = tracing.startAttempt(options.trace(), handle.name());
        AtomicReference<String> acceptedJob = new AtomicReference<>();
        JobListener accepted = id -> {
            acceptedJob.set(id);
            options.observer().onAccepted(handle.name(), id);
        };
        // work: the generation's whole life (a Leonardo job to its terminal state); never cancelled
        CompletableFuture<ProviderResult> work;
        try (Activation current = span.activate()) {
            work = start == null ? handle.provider().generate(request, options.partials(), accepted) : start.apply(accepted);
        } catch (RuntimeException e) {
            work = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ProviderResult> generation = work;
        CompletableFuture<ProviderResult> processed = work.thenCompose(result -> processor.process(request, result));
        // The bulkhead slot is the provider's concurrent job: held until the job is terminal, even
        // when the attempt timed out and the chain moved on.
        if (slotHeld) {
            processed.whenComplete((r, e) -> releaseSlot(handle, shared));
        }
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
            long nanos = System.nanoTime() - startNanos;
            long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
            if (error == null) {
                Attempt succeeded = new Attempt(handle.name(), Attempt.SUCCESS, null, null, millis, null);
                span.end(succeeded);
                reservation.settle(result.cost());
                onPaid.paid(result.cost(), true);
                breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
                onAttempt.accept(succeeded, null);
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
            span.end(attemptRecord);
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
