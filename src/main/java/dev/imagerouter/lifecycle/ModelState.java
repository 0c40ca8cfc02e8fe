package dev.imagerouter.lifecycle;

import java.time.LocalDate;
import java.util.Optional;

/**
 * What the router knows about one provider's configured model, and the bookkeeping of its checks.
 * A new model (after a reload) gets a new state. Thread-safe: every method is synchronized.
 */
final class ModelState {

    enum Availability { UNKNOWN, AVAILABLE, UNAVAILABLE }

    private final String model;
    private Availability availability = Availability.UNKNOWN;
    private Optional<LocalDate> shutdownDate = Optional.empty();
    private long started;
    private long newestApplied;
    private boolean inFlight;
    private long lastStartNanos;
    private long nextDueNanos = Long.MIN_VALUE;

    ModelState(String model) {
        this.model = model;
    }

    String model() {
        return model;
    }

    synchronized Availability availability() {
        return availability;
    }

    /** The {@code shutdown_date} the newest conclusive check reported (empty: none announced, or not checked yet). */
    synchronized Optional<LocalDate> shutdownDate() {
        return shutdownDate;
    }

    /** Records the {@code shutdown_date} of check {@code sequence}'s 200 answer, unless a newer check has already applied. */
    synchronized void reportShutdownDate(long sequence, Optional<LocalDate> date) {
        if (sequence >= newestApplied) {
            shutdownDate = date;
        }
    }

    /** 1 available, 0 unavailable, NaN before the first conclusive check. */
    synchronized double gaugeValue() {
        return switch (availability) {
            case AVAILABLE -> 1.0;
            case UNAVAILABLE -> 0.0;
            case UNKNOWN -> Double.NaN;
        };
    }

    synchronized long start() {
        inFlight = true;
        lastStartNanos = System.nanoTime();
        return ++started;
    }

    /**
     * Records the end of check {@code sequence}; {@code result} null means inconclusive (state kept).
     * A result older than one already applied is ignored.
     *
     * @return whether this result changed the availability
     */
    synchronized boolean finish(long sequence, Availability result) {
        if (sequence == started) {
            inFlight = false;
        }
        if (result == null || sequence <= newestApplied) {
            return false;
        }
        newestApplied = sequence;
        boolean changed = availability != result;
        availability = result;
        return changed;
    }

    /** Books the next scheduled check one interval from now. */
    synchronized void book(long nowNanos, long intervalNanos) {
        nextDueNanos = nowNanos + intervalNanos;
    }

    /** Whether a scheduled check is due (none in flight, interval passed); if so, books the next one. */
    synchronized boolean claimScheduled(long nowNanos, long intervalNanos) {
        if (inFlight || (nextDueNanos != Long.MIN_VALUE && nowNanos - nextDueNanos < 0)) {
            return false;
        }
        nextDueNanos = nowNanos + intervalNanos;
        return true;
    }

    /** Whether an extra check may start now: none in flight and none started within {@code minGapNanos}. */
    synchronized boolean claimNow(long nowNanos, long minGapNanos) {
        return !inFlight && (started == 0 || nowNanos - lastStartNanos >= minGapNanos);
    }

    synchronized long nanosUntilDue(long nowNanos) {
        return nextDueNanos == Long.MIN_VALUE ? 0 : nextDueNanos - nowNanos;
    }
}
