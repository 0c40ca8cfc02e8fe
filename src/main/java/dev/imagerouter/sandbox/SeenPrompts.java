package dev.imagerouter.sandbox;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The prompts of the Leonardo jobs created since the last stats reset, as 64-bit prefixes of their SHA-256 (two
 * different prompts share one with probability about 3e-10 among {@value #MAX} of them), for
 * {@link SandboxStats#leonardoRepeatedCreates()}. Bounded: beyond {@value #MAX} prompts the oldest is forgotten, so a
 * repeat of a prompt older than the last {@value #MAX} distinct ones is not seen. Thread-safe (synchronized).
 */
final class SeenPrompts {

    /** How many distinct prompts are remembered at most (a few MB). */
    static final int MAX = 100_000;

    private final Map<Long, Boolean> seen = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > MAX;
        }
    };

    /** Remembers {@code prompt}; true when it was already remembered (a repeat). */
    boolean add(String prompt) {
        long hash = ByteBuffer.wrap(SandboxImages.sha256(prompt == null ? "" : prompt)).getLong();
        synchronized (seen) {
            return seen.put(hash, Boolean.TRUE) != null;
        }
    }

    void clear() {
        synchronized (seen) {
            seen.clear();
        }
    }
}
