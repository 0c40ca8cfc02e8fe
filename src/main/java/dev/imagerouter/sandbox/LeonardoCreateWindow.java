package dev.imagerouter.sandbox;

import java.util.ArrayDeque;

/**
 * The Leonardo account's create limit ({@link LeonardoLimits#createLimit()} per {@link LeonardoLimits#createWindow()}),
 * as a <b>sliding</b> window: a create is let through when fewer than {@code limit} creates were let through in the
 * {@code window} before it. Leonardo does not say whether its window slides or is fixed (Leonardo docs, rate limits
 * page, 2026); sliding is the stricter reading (no burst of twice the limit across a fixed window's edge), so a
 * router that passes it passes either.
 *
 * <p>Creates this window refuses do not count; every create it lets through does, whatever its answer afterwards
 * (a fault, a validation error, no credits): the request reached the API. Keeps one {@link System#nanoTime()} per
 * counted create in the window, so at most {@code limit} of them. Thread-safe (synchronized, one short critical
 * section per create).
 */
final class LeonardoCreateWindow {

    private final ArrayDeque<Long> counted = new ArrayDeque<>();

    /**
     * Counts one create and returns true, or returns false (counting nothing) when {@code limits} allow no more
     * creates now. Always true, counting nothing, when creates are not limited.
     */
    synchronized boolean tryAcquire(LeonardoLimits limits) {
        if (!limits.limitsCreates()) {
            counted.clear();
            return true;
        }
        long now = System.nanoTime();
        long window = limits.createWindow().toNanos();
        while (!counted.isEmpty() && now - counted.peekFirst() >= window) {
            counted.pollFirst();
        }
        if (counted.size() >= limits.createLimit()) {
            return false;
        }
        counted.addLast(now);
        return true;
    }

    /** Forgets every counted create (a new account). */
    synchronized void clear() {
        counted.clear();
    }
}
