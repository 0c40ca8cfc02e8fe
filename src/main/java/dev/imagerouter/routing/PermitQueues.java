package dev.imagerouter.routing;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/*
 * One FIFO queue per provider instance of walks (asynchronous jobs) waiting for a concurrency slot
 * (the provider's bulkhead: Leonardo's concurrent jobs) and a rate-limit permit (its creates per
 * minute). The queue's head is admitted when both are free: a bulkhead slot first, then a permit;
 * when the limiter has no permit the slot is given back and the queue tries again when the limiter
 * refreshes. A freed slot (ProviderCall releases one when a job reaches its terminal state) signals
 * the queue, and every other queue whose provider shares the bulkhead (the providers of one account,
 * ProviderConfig.limitKey(), share one bulkhead and one rate limiter). Admissions are paced evenly (spacing(): period / permits + 5 %), so queued creates never
 * burst at a limiter cycle's boundary. Synchronous requests never queue: they take a free slot directly, so they go ahead of
 * queued jobs. A waiter ends at its deadline (QueueTimeoutException: the walk skips the provider
 * and the policy's fallback applies) or when its job is cancelled (WalkCancelledException).
 *
 * Why our own code: Resilience4j's Bulkhead can wait (maxWaitDuration) only by blocking a thread,
 * one per waiter; 10,000 queued jobs cannot each hold a thread. This keeps waiters as futures.
 *
 * Several replicas (REDIS_URI, SharedLimits): while Redis is up, the head is admitted when this
 * replica's bulkhead has a slot and the account has a shared slot and create permit (one script
 * call; the shared limiter replaces the local one). Only one such call per queue is under way at a
 * time. Refused for a slot: tried again when any replica frees one (published) or after
 * SHARED_SLOT_POLL; refused for the rate: when the oldest create leaves the window. Redis failing
 * on the way: the local limiter decides, as without Redis.
 */
/** Per-provider FIFO queues of walks waiting for provider permits. Thread-safe. */
public final class PermitQueues {

    /** Thrown (as the waiter's failure) when a walk waited its whole queue wait for a provider. */
    static final class QueueTimeoutException extends RuntimeException {
        QueueTimeoutException(String message) {
            super(message, null, false, false);
        }
    }

    /** Longest wait before a queue refused a shared slot asks again (a freed slot is also published). */
    static final long SHARED_SLOT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** Retry delay of a rate limiter that does not say when its next permit comes. */
    private static final long UNKNOWN_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ScheduledExecutorService scheduler;
    private final SharedLimits limits;
    private final Map<String, Queue> queues = new ConcurrentHashMap<>();

    public PermitQueues(ScheduledExecutorService scheduler) {
        this(scheduler, SharedLimits.NONE);
    }

    /** Queues that also take the providers' shared slots and permits ({@link SharedLimits}) while Redis is up. */
    public PermitQueues(ScheduledExecutorService scheduler, SharedLimits limits) {
        this.scheduler = scheduler;
        this.limits = limits;
        limits.onFreed(key -> queues.values().forEach(q -> {
            if (q.limitKey().equals(key)) {
                q.pump();
            }
        }));
    }

    /** The providers' shared limits these queues (and the synchronous calls) take from. */
    SharedLimits limits() {
        return limits;
    }

    /**
     * Waits, behind earlier waiters of the same provider, for a bulkhead slot and a rate-limit
     * permit of {@code handle}.
     *
     * @return completes when both are held, with the shared slot ({@link SharedLimits.Slot#NONE} when
     *         the shared limits did not decide; the caller must give the local slot back with
     *         {@code bulkhead.onComplete()} and {@link #signal}, and release the shared one); or
     *         exceptionally with {@link QueueTimeoutException} after {@code maxWait}, or
     *         {@link WalkCancelledException} once {@code cancelled} completes
     */
    CompletableFuture<SharedLimits.Slot> acquire(ProviderHandle handle, Duration maxWait, CompletableFuture<Void> cancelled) {
        Queue queue = queues.computeIfAbsent(handle.name(), Queue::new);
        CompletableFuture<SharedLimits.Slot> admitted = new CompletableFuture<>();
        queue.add(handle, admitted);
        scheduler.schedule(() -> {
            if (admitted.completeExceptionally(new QueueTimeoutException("waited " + maxWait
                    + " (router.jobs.max-wait) for a rate-limit permit or a concurrency slot"))) {
                queue.pump();
            }
        }, maxWait.toNanos(), TimeUnit.NANOSECONDS);
        cancelled.whenComplete((v, e) -> {
            if (admitted.completeExceptionally(new WalkCancelledException("the job was cancelled while it was queued"))) {
                queue.pump();
            }
        });
        queue.pump();
        return admitted;
    }

    /** A slot of {@code provider} may have been freed: admits what can be admitted. */
    void signal(String provider) {
        Queue queue = queues.get(provider);
        if (queue != null) {
            queue.pump();
        }
    }

    /**
     * A slot of {@code handle}'s bulkhead may have been freed: admits what can be admitted in every queue of a
     * provider sharing that bulkhead (one account's providers, {@code ProviderConfig.limitKey()}), the freeing
     * provider's own queue first.
     */
    void signalAccount(ProviderHandle handle) {
        signal(handle.name());
        var bulkhead = handle.resilience().bulkhead();
        for (Queue queue : queues.values()) {
            if (!queue.name.equals(handle.name()) && queue.sharesBulkhead(bulkhead)) {
                queue.pump();
            }
        }
    }

    /** Walks waiting now, over every provider. */
    public int depth() {
        int total = 0;
        for (Queue queue : queues.values()) {
            total += queue.size();
        }
        return total;
    }

    /** Walks waiting now for {@code provider}. */
    public int depth(String provider) {
        Queue queue = queues.get(provider);
        return queue == null ? 0 : queue.size();
    }

    private final class Queue {
        private final ArrayDeque<CompletableFuture<SharedLimits.Slot>> waiters = new ArrayDeque<>();
        private ProviderHandle handle;
        private boolean retryScheduled;
        /** A shared admission is being asked for (at most one at a time per queue). */
        private boolean asking;
        /** Monotonic time before which no queued walk is admitted (the pacing). */
        private long nextAdmission = System.nanoTime();

        private final String name;

        Queue(String name) {
            this.name = name;
        }

        synchronized boolean sharesBulkhead(Bulkhead bulkhead) {
            return handle != null && handle.resilience().bulkhead() == bulkhead;
        }

        synchronized String limitKey() {
            return handle == null ? "" : SharedLimits.limitKey(handle);
        }

        synchronized void add(ProviderHandle latest, CompletableFuture<SharedLimits.Slot> waiter) {
            handle = latest; // a reload may have rebuilt the provider: the newest handle's instances count
            waiters.addLast(waiter);
        }

        synchronized int size() {
            int live = 0;
            for (CompletableFuture<SharedLimits.Slot> w : waiters) {
                if (!w.isDone()) {
                    live++;
                }
            }
            return live;
        }

        void pump() {
            List<Runnable> admit = new ArrayList<>();
            synchronized (this) {
                while (!waiters.isEmpty() && !asking) {
                    CompletableFuture<SharedLimits.Slot> head = waiters.peekFirst();
                    if (head.isDone()) { // timed out or cancelled
                        waiters.pollFirst();
                        continue;
                    }
                    Bulkhead bulkhead = handle.resilience().bulkhead();
                    RateLimiter limiter = handle.resilience().rateLimiter();
                    long now = System.nanoTime();
                    if (now < nextAdmission) {
                        retryAfter(nextAdmission - now);
                        break;
                    }
                    if (!bulkhead.tryAcquirePermission()) {
                        break; // a job's end signals
                    }
                    if (limits.use()) {
                        asking = true; // the account's slot and permit, asked outside the lock
                        ProviderHandle current = handle;
                        admit.add(() -> limits.acquire(current, true).thenAccept(a -> shared(a, bulkhead, limiter)));
                        break;
                    }
                    long wait = limiter.reservePermission();
                    if (wait < 0) {
                        bulkhead.onComplete();
                        retryAfter(nanosToNextPermit(limiter));
                        break;
                    }
                    waiters.pollFirst();
                    nextAdmission = now + spacing(limiter);
                    admit.add(() -> hand(head, bulkhead, wait, SharedLimits.Slot.NONE));
                }
            }
            admit.forEach(Runnable::run); // outside the lock: the walk goes on from here
        }

        /** The answer of the shared limits for the head, this replica's bulkhead slot held meanwhile. */
        private void shared(SharedLimits.Admission admission, Bulkhead bulkhead, RateLimiter limiter) {
            Runnable then = null;
            synchronized (this) {
                asking = false;
                CompletableFuture<SharedLimits.Slot> head = firstLive();
                if (admission instanceof SharedLimits.Granted granted) {
                    if (head == null) { // every waiter left meanwhile
                        granted.slot().giveBack();
                        bulkhead.onComplete();
                    } else {
                        waiters.pollFirst();
                        nextAdmission = System.nanoTime() + spacing(limiter);
                        then = () -> hand(head, bulkhead, 0, granted.slot());
                    }
                } else if (admission instanceof SharedLimits.Refused refused) {
                    bulkhead.onComplete();
                    retryAfter(refused.retryMillis() > 0 ? TimeUnit.MILLISECONDS.toNanos(refused.retryMillis()) : SHARED_SLOT_POLL_NANOS);
                    return;
                } else { // Redis failed on the way: the local limiter decides
                    long wait = limiter.reservePermission();
                    if (head == null || wait < 0) {
                        bulkhead.onComplete();
                        if (wait < 0) {
                            retryAfter(nanosToNextPermit(limiter));
                            return;
                        }
                    } else {
                        waiters.pollFirst();
                        nextAdmission = System.nanoTime() + spacing(limiter);
                        then = () -> hand(head, bulkhead, wait, SharedLimits.Slot.NONE);
                    }
                }
            }
            if (then != null) {
                then.run();
            }
            pump();
        }

        private CompletableFuture<SharedLimits.Slot> firstLive() {
            while (!waiters.isEmpty() && waiters.peekFirst().isDone()) {
                waiters.pollFirst();
            }
            return waiters.peekFirst();
        }

        private void hand(CompletableFuture<SharedLimits.Slot> waiter, Bulkhead bulkhead, long waitNanos, SharedLimits.Slot slot) {
            Runnable complete = () -> {
                if (!waiter.complete(slot)) { // it timed out or was cancelled meanwhile: give the slots back
                    bulkhead.onComplete();
                    slot.giveBack();
                    pump();
                }
            };
            if (waitNanos == 0) {
                complete.run();
            } else {
                scheduler.schedule(complete, waitNanos, TimeUnit.NANOSECONDS);
            }
        }

        private synchronized void retryAfter(long nanos) {
            if (retryScheduled) {
                return;
            }
            retryScheduled = true;
            scheduler.schedule(() -> {
                synchronized (this) {
                    retryScheduled = false;
                }
                pump();
            }, Math.max(nanos, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The least time between two admissions of queued walks: the limiter's period over its permits,
     * plus {@link #PACING_MARGIN}. Queued creates then go out evenly, never in a burst at the
     * boundary of the limiter's fixed cycles, so a provider that counts in a sliding window (any
     * span of one period; Leonardo does not document which) never sees more than its limit.
     */
    static long spacing(RateLimiter limiter) {
        var config = limiter.getRateLimiterConfig();
        double nanos = (double) config.getLimitRefreshPeriod().toNanos() / Math.max(1, config.getLimitForPeriod());
        return (long) (nanos * (1 + PACING_MARGIN));
    }

    /** Admissions run this much slower than the limiter allows (5 %): a margin for clock skew against the provider's window. */
    static final double PACING_MARGIN = 0.05;

    private static long nanosToNextPermit(RateLimiter limiter) {
        if (limiter instanceof AtomicRateLimiter atomic) {
            long nanos = atomic.getDetailedMetrics().getNanosToWait();
            return nanos > 0 ? nanos : UNKNOWN_REFRESH_NANOS;
        }
        return UNKNOWN_REFRESH_NANOS;
    }
}
