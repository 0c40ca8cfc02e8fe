package dev.imagerouter.provider.leonardo;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Generations the router is waiting on, by Leonardo generation id, so that a webhook callback can
 * complete a wait at once instead of the next poll. Thread-safe.
 */
public final class LeonardoWebhooks {

    private final Map<String, CompletableFuture<LeonardoWire.Generation>> waiting = new ConcurrentHashMap<>();

    void register(String generationId, CompletableFuture<LeonardoWire.Generation> done) {
        waiting.put(generationId, done);
    }

    void unregister(String generationId) {
        waiting.remove(generationId);
    }

    /**
     * Delivers a callback's generation state.
     *
     * @return true when a generation was waiting for it
     */
    public boolean deliver(String generationId, LeonardoWire.Generation generation) {
        CompletableFuture<LeonardoWire.Generation> done = waiting.get(generationId);
        if (done == null) {
            return false;
        }
        LeonardoJobTracker.handleStatus(generationId, generation, done, () -> { });
        return true;
    }

    /** How many generations are waiting now. */
    public int waitingCount() {
        return waiting.size();
    }
}
