package dev.imagerouter.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/*
 * Idempotency-Key
 * ---------------
 * Identical requests already share one generation through the request hash. The key adds what the
 * hash cannot: a client that retries a Cache-Control: no-cache request (a deliberate fresh
 * generation) with the same Idempotency-Key gets the first attempt's result instead of paying for a
 * second image. The key is scoped to the client (its name), remembered for the cache TTL, and bound
 * to the request hash: the same key with a different request is an error, never a silent replay.
 * A failed generation forgets its key, so a retry after a failure generates again.
 */
/** Remembers, per client and {@code Idempotency-Key}, which generation answered it. Thread-safe. */
public final class IdempotencyKeys<T> {

    /** The same key was sent with a different request. */
    public static final class KeyReusedException extends RuntimeException {
        public KeyReusedException() {
            super("Idempotency-Key was already used with a different request", null, false, false);
        }
    }

    /** What one key is bound to. */
    private record Entry<T>(String requestHash, CompletableFuture<T> result) {
    }

    /** Longest accepted key, in characters. */
    public static final int MAX_KEY_LENGTH = 255;

    private final Cache<String, Entry<T>> entries;

    /**
     * @param ttl        how long a key is remembered (the result cache's TTL)
     * @param maxEntries the most keys remembered
     */
    public IdempotencyKeys(Duration ttl, long maxEntries, Ticker ticker) {
        this.entries = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maxEntries).ticker(ticker).build();
    }

    /** Whether a header value is usable as a key: 1..255 printable ASCII characters. */
    public static boolean isValid(String key) {
        return key != null && !key.isEmpty() && key.length() <= MAX_KEY_LENGTH && key.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    /**
     * The result bound to {@code (client, key)}, or the one {@code start} produces (and binds)
     * when the key is new.
     *
     * @return the result and whether it was a replay of an earlier request
     * @throws KeyReusedException when the key is bound to another request hash
     */
    public Replay<T> resolve(String client, String key, String requestHash, Supplier<CompletableFuture<T>> start) {
        Objects.requireNonNull(requestHash, "requestHash");
        String id = client + "\n" + key;
        boolean[] started = {false};
        Entry<T> entry = entries.get(id, k -> {
            started[0] = true;
            return new Entry<>(requestHash, new CompletableFuture<>());
        });
        if (!entry.requestHash().equals(requestHash)) {
            throw new KeyReusedException();
        }
        if (started[0]) {
            start.get().whenComplete((value, error) -> {
                if (error != null) {
                    entries.asMap().remove(id, entry);
                    entry.result().completeExceptionally(error);
                } else {
                    entry.result().complete(value);
                }
            });
        }
        return new Replay<>(entry.result(), !started[0]);
    }

    /** @param replayed true when the result belongs to an earlier request with the same key */
    public record Replay<T>(CompletableFuture<T> result, boolean replayed) {
    }
}
