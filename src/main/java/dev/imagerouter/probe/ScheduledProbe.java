package dev.imagerouter.probe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/*
 * The schedule of a periodic check per target (the credit balance of each Leonardo provider, the
 * model of each OpenAI provider): one tick on the shared scheduler, at most MAX_TICK apart and
 * sooner when a target is due sooner, starts every check that is due. The targets are re-read on
 * every tick, so a reload that adds, removes or retimes a provider takes effect within a tick. No
 * thread waits: a check is started, never awaited, here.
 */
/**
 * Runs one owner's periodic checks on the shared scheduler (see the comment above). Thread-safe.
 *
 * @param <T> a target, e.g. a provider handle
 */
public final class ScheduledProbe<T> {

    /** What the probe needs of its owner; every method is fast and non-blocking. */
    public interface Targets<T> {

        /** The targets now (re-read each tick). */
        List<T> targets();

        /** Whether {@code target}'s scheduled check is due at {@code nowNanos}; if so, books the next one. */
        boolean claimScheduled(T target, long nowNanos);

        /** Nanoseconds until {@code target}'s next scheduled check (0 or less: due). */
        long nanosUntilDue(T target, long nowNanos);

        /** Starts one check of {@code target}; must not block or throw. */
        void check(T target);
    }

    /** The longest time between two ticks. */
    public static final long MAX_TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final Logger LOG = LoggerFactory.getLogger(ScheduledProbe.class);

    private final String name;
    private final ScheduledExecutorService scheduler;
    private final Targets<T> targets;

    /**
     * @param name      what is checked, for the log (e.g. {@code credit check})
     * @param scheduler the shared scheduler the ticks run on
     */
    public ScheduledProbe(String name, ScheduledExecutorService scheduler, Targets<T> targets) {
        this.name = name;
        this.scheduler = scheduler;
        this.targets = targets;
    }

    /** Schedules the first tick, {@link #MAX_TICK_NANOS} from now. */
    public void start() {
        scheduler.schedule(this::tick, MAX_TICK_NANOS, TimeUnit.NANOSECONDS);
    }

    private void tick() {
        long now = System.nanoTime();
        long wake = MAX_TICK_NANOS;
        try {
            for (T target : targets.targets()) {
                if (targets.claimScheduled(target, now)) {
                    targets.check(target);
                }
                wake = Math.min(wake, Math.max(0, targets.nanosUntilDue(target, now)));
            }
        } catch (RuntimeException e) {
            LOG.warn("{} schedule: {}", name, e.toString());
        } finally {
            if (!scheduler.isShutdown()) {
                scheduler.schedule(this::tick, Math.max(wake, MIN_TICK_NANOS), TimeUnit.NANOSECONDS);
            }
        }
    }
}
