package dev.imagerouter.sandbox;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.function.Supplier;

/**
 * The Leonardo account's processing slots ({@link LeonardoLimits#concurrentJobs()}) and the jobs waiting for one
 * (at most {@link LeonardoLimits#pendingJobs()}), after Leonardo's published behaviour (Leonardo docs, rate limits
 * page, 2026): a job above the concurrency limit is accepted, gets its generationId and waits as PENDING; it starts
 * processing when a slot frees, first come first served.
 *
 * <p>Jobs are computed from the clock, not driven by timers ({@link LeonardoJob}), and so are the slots: when a job
 * is admitted its processing time is already known (the PENDING draw, or its fault's timing), so the moment it
 * gets a slot is known too: at once when a slot is free, else when the earliest-freeing slot frees. A job holds its
 * slot from its start until it reaches its terminal state (COMPLETE or FAILED) at start + processing time; a job
 * that never completes (the {@code timeout} fault) holds it until the job store forgets it,
 * {@link LeonardoJobs#RETENTION} after its start, as a stuck job would on a real account. The job's
 * {@code readyAtNanos} is its slot's start plus its processing time, so it polls PENDING while it waits and while
 * it processes, and its slot frees at the very instant it turns terminal.
 *
 * <p>Without a concurrency limit every job starts at once; the slots are still counted, so that
 * {@link Admission#processingAtStart()} means the same in both modes.
 *
 * <p>Starts are handed out in admission order and never decrease, which makes a heap of slot-free times
 * ({@code limit} entries at most) and a queue of future starts exact. Thread-safe: {@link #admit} is synchronized
 * and charges the create inside, so the pending bound and the debit are one decision.
 */
final class LeonardoSlots {

    /** What {@link #admit} decided. */
    enum Status {
        /** The job was charged and has its slot (now or later). */
        ADMITTED,
        /** Every slot is busy and {@link LeonardoLimits#pendingJobs()} jobs already wait: refused, nothing charged. */
        QUEUE_FULL,
        /** The charge was refused (no credits): nothing admitted. */
        NOT_CHARGED
    }

    /**
     * One admission.
     *
     * @param status            the decision
     * @param readyAtNanos      {@link System#nanoTime()} when the job's PENDING phase ends: its slot's start plus its
     *                          processing time (0 unless admitted)
     * @param processingAtStart how many jobs process at the instant the job starts, itself included (0 unless admitted)
     */
    record Admission(Status status, long readyAtNanos, int processingAtStart) {
        static Admission refused(Status status) {
            return new Admission(status, 0, 0);
        }
    }

    /** Origin of the offsets below, so that they compare as plain longs. */
    private final long origin = System.nanoTime();
    /** When each busy slot frees (offsets from {@link #origin}); one entry per slot whose last job is not terminal. */
    private final PriorityQueue<Long> slotFrees = new PriorityQueue<>();
    /** Start offsets of admitted jobs still waiting for their slot, in admission (= start) order. */
    private final ArrayDeque<Long> waitingStarts = new ArrayDeque<>();

    /**
     * Admits one job under {@code limits}: refuses it when every slot is busy and the queue is full; otherwise calls
     * {@code chargeThenDraw}, which charges the create and answers the job's processing time (empty when the charge
     * is refused), and gives the job a slot.
     *
     * @param holdsUntilForgotten whether the job never turns terminal (it holds its slot for {@link LeonardoJobs#RETENTION})
     * @param chargeThenDraw      called at most once, under this object's lock; must be short and must not block
     */
    synchronized Admission admit(LeonardoLimits limits, boolean holdsUntilForgotten, Supplier<Optional<Duration>> chargeThenDraw) {
        long now = System.nanoTime() - origin;
        while (!slotFrees.isEmpty() && slotFrees.peek() <= now) {
            slotFrees.poll();
        }
        while (!waitingStarts.isEmpty() && waitingStarts.peekFirst() <= now) {
            waitingStarts.pollFirst();
        }
        boolean allBusy = limits.limitsConcurrency() && slotFrees.size() >= limits.concurrentJobs();
        if (allBusy && waitingStarts.size() >= limits.pendingJobs()) {
            return Admission.refused(Status.QUEUE_FULL);
        }
        Optional<Duration> processing = chargeThenDraw.get();
        if (processing.isEmpty()) {
            return Admission.refused(Status.NOT_CHARGED);
        }
        long start = allBusy ? slotFrees.peek() : now;
        while (!slotFrees.isEmpty() && slotFrees.peek() <= start) {
            slotFrees.poll(); // the slot this job takes, and any other freeing at the same instant
        }
        long processingNanos = processing.get().toNanos();
        slotFrees.add(start + (holdsUntilForgotten ? LeonardoJobs.RETENTION.toNanos() : processingNanos));
        if (start > now) {
            waitingStarts.addLast(start);
        }
        // every slot in the heap is held by a job that started at or before this start and ends after it
        return new Admission(Status.ADMITTED, origin + start + processingNanos, slotFrees.size());
    }

    /** Frees every slot and forgets the waiting jobs (a new account; jobs already created keep their timing). */
    synchronized void clear() {
        slotFrees.clear();
        waitingStarts.clear();
    }
}
