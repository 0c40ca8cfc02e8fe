package dev.imagerouter.api;

import jakarta.inject.Singleton;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How many image file responses each client has in progress ({@code router.storage.max-concurrent-downloads-per-client}).
 *
 * <p>{@link #tryAcquire} takes a slot when the client has fewer than the bound in progress and returns the
 * {@link Runnable} that gives it back (idempotent: a second call does nothing); an idle client holds no entry.
 * Thread-safe.
 */
@Singleton
public class FileDownloads {

    private final Map<String, Integer> inProgress = new ConcurrentHashMap<>();

    /**
     * @param client the client's name or remote address
     * @param bound  the most responses the client may have in progress, at least 1
     * @return the release of the slot, or null when the client is at the bound
     */
    public Runnable tryAcquire(String client, int bound) {
        boolean[] taken = {false};
        inProgress.compute(client, (k, n) -> {
            int current = n == null ? 0 : n;
            if (current >= bound) {
                return n;
            }
            taken[0] = true;
            return current + 1;
        });
        if (!taken[0]) {
            return null;
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                inProgress.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
            }
        };
    }

    /** Responses in progress for {@code client} (0 when none). */
    public int inProgress(String client) {
        return inProgress.getOrDefault(client, 0);
    }
}
