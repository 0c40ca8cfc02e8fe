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
 */
/** Per-provider FIFO queues of walks waiting for provider permits. Thread-safe. */
public final class PermitQueues {

    /** Thrown (as the waiter's failure) when a walk waited its whole queue wait for a provider. */
    static final class QueueTimeoutException extends RuntimeException {
        QueueTimeoutException(String message) {
            super(message, null, false, false);
        }
    }

    /** Retry delay of a rate limiter that does not say when its next permit comes. */
    private static final long UNKNOWN_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ScheduledExecutorService scheduler;
    private final Map<String, Queue> queues = new ConcurrentHashMap<>();

    public PermitQueues(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * Waits, behind earlier waiters of the same provider, for a bulkhead slot and a rate-limit
     * permit of {@code handle}.
     *
     * @return completes when both are held (the caller must give the slot back with
     *         {@code bulkhead.onComplete()} and {@link #signal}); or exceptionally with
     *         {@link QueueTimeoutException} after {@code maxWait}, or {@link WalkCancelledException}
     *         once {@code cancelled} completes
     */
    CompletableFuture<Void> acquire(ProviderHandle handle, Duration maxWait, CompletableFuture<Void> cancelled) {
        Queue queue = queues.computeIfAbsent(handle.name(), Queue::new);
        CompletableFuture<Void> admitted = new CompletableFuture<>();
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
        private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
        private ProviderHandle handle;
        private boolean retryScheduled;
        /** Monotonic time before which no queued walk is admitted (the pacing). */
        private long nextAdmission = System.nanoTime();

        private final String name;

        Queue(String name) {
            this.name = name;
        }

        synchronized boolean sharesBulkhead(Bulkhead bulkhead) {
            return handle != null && handle.resilience().bulkhead() == bulkhead;
        }

        synchronized void add(ProviderHandle latest, CompletableFuture<Void> waiter) {
            handle = latest; // a reload may have rebuilt the provider: the newest handle's instances count
            waiters.addLast(waiter);
        }

        synchronized int size() {
            int live = 0;
            for (CompletableFuture<Void> w : waiters) {
                if (!w.isDone()) {
                    live++;
                }
            }
            return live;
        }

        void pump() {
            List<Runnable> admit = new ArrayList<>();
            synchronized (this) {
                while (!waiters.isEmpty()) {
                    CompletableFuture<Void> head = waiters.peekFirst();
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
                    long wait = limiter.reservePermission();
                    if (wait < 0) {
                        bulkhead.onComplete();
                        retryAfter(nanosToNextPermit(limiter));
                        break;
                    }
                    waiters.pollFirst();
                    nextAdmission = now + spacing(limiter);
                    admit.add(() -> hand(head, bulkhead, wait));
                }
            }
            admit.forEach(Runnable::run); // outside the lock: the walk goes on from here
        }

        private void hand(CompletableFuture<Void> waiter, Bulkhead bulkhead, long waitNanos) {
            Runnable complete = () -> {
                if (!waiter.complete(null)) { // it timed out or was cancelled meanwhile: give the slot back
                    bulkhead.onComplete();
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
