package dev.imagerouter.sandbox;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Delays emulator answers without blocking a thread: one daemon thread completes futures when
 * their time comes. Used for OpenAI latency, the {@code slow} fault and the OpenAI {@code timeout}
 * fault ("hang"). The tasks it runs only complete futures; they never render or block.
 *
 * <p>On shutdown ({@link PreDestroy}) every delayed future is completed at once with its value and
 * every hanging future with its fallback, so that no HTTP exchange is left open.
 */
@Singleton
public class SandboxScheduler {

    private final ScheduledThreadPoolExecutor executor;
    private final Map<CompletableFuture<?>, Supplier<?>> hanging = new ConcurrentHashMap<>();

    public SandboxScheduler() {
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sandbox-scheduler");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    /** {@code value} once {@code delay} has passed (at once when the delay is zero or negative). */
    public <T> CompletableFuture<T> delayed(Duration delay, T value) {
        return delayedUntil(System.nanoTime() + delay.toNanos(), value);
    }

    /** {@code value} once {@link System#nanoTime()} reaches {@code deadlineNanos} (at once if it already has). */
    public <T> CompletableFuture<T> delayedUntil(long deadlineNanos, T value) {
        long wait = deadlineNanos - System.nanoTime();
        if (wait <= 0 || executor.isShutdown()) {
            return CompletableFuture.completedFuture(value);
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        executor.schedule(() -> future.complete(value), wait, TimeUnit.NANOSECONDS);
        return future;
    }

    /**
     * A future that stays incomplete for {@code max}, then (or at shutdown, whichever is first)
     * completes with {@code fallback.get()}.
     */
    public <T> CompletableFuture<T> hang(Duration max, Supplier<T> fallback) {
        CompletableFuture<T> future = new CompletableFuture<>();
        hanging.put(future, fallback);
        future.whenComplete((v, e) -> hanging.remove(future));
        if (executor.isShutdown()) {
            future.complete(fallback.get());
            return future;
        }
        ScheduledFuture<?> task = executor.schedule(() -> future.complete(fallback.get()), max.toNanos(), TimeUnit.NANOSECONDS);
        future.whenComplete((v, e) -> task.cancel(false));
        return future;
    }

    /** How many {@link #hang} futures are still open. */
    public int hangingCount() {
        return hanging.size();
    }

    @PreDestroy
    @SuppressWarnings({"unchecked", "rawtypes"})
    void shutdown() {
        // Run what was still queued: delays complete with their value, hangs with their fallback.
        for (Runnable queued : executor.shutdownNow()) {
            queued.run();
        }
        for (Map.Entry<CompletableFuture<?>, Supplier<?>> e : Map.copyOf(hanging).entrySet()) {
            ((CompletableFuture) e.getKey()).complete(e.getValue().get());
        }
    }
}
