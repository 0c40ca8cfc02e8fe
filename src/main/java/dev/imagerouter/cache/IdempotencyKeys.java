package dev.imagerouter.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * Each client has its own bounded Caffeine cache (at most maxKeysPerClient keys), so one client
 * sending many keys evicts only its own least used keys, never another client's. The map of
 * caches is bounded too: its keys are client names, which come from configuration
 * (router.auth.api-keys) plus the one anonymous client of open sandbox mode, never from the request.
 * A client removed by a reload keeps its (small, once its keys expire: empty) cache until restart.
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

    private final Map<String, Cache<String, Entry<T>>> clients = new ConcurrentHashMap<>();
    private final Duration ttl;
    private final long maxKeysPerClient;
    private final Ticker ticker;

    /**
     * @param ttl              how long a key is remembered after its first request (the result cache's TTL)
     * @param maxKeysPerClient the most keys remembered for one client (at least 1); past it, that
     *                         client's least used keys are forgotten, other clients' never
     * @param ticker           Caffeine's time source for expiry (a fake one in tests)
     */
    public IdempotencyKeys(Duration ttl, long maxKeysPerClient, Ticker ticker) {
        if (maxKeysPerClient < 1) {
            throw new IllegalArgumentException("maxKeysPerClient must be at least 1: " + maxKeysPerClient);
        }
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.maxKeysPerClient = maxKeysPerClient;
        this.ticker = Objects.requireNonNull(ticker, "ticker");
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
        Cache<String, Entry<T>> entries = keysOf(client);
        boolean[] started = {false};
        Entry<T> entry = entries.get(key, k -> {
            started[0] = true;
            return new Entry<>(requestHash, new CompletableFuture<>());
        });
        if (!entry.requestHash().equals(requestHash)) {
            throw new KeyReusedException();
        }
        if (started[0]) {
            CompletableFuture<T> result;
            try {
                result = start.get();
            } catch (RuntimeException e) {
                result = CompletableFuture.failedFuture(e); // a failure like any other: the key is forgotten
            }
            result.whenComplete((value, error) -> {
                if (error != null) {
                    entries.asMap().remove(key, entry);
                    entry.result().completeExceptionally(error);
                } else {
                    entry.result().complete(value);
                }
            });
        }
        return new Replay<>(entry.result(), !started[0]);
    }

    /** Keys remembered for {@code client} now (after pending evictions and expiries are applied). */
    public long keyCount(String client) {
        Cache<String, Entry<T>> entries = clients.get(client);
        if (entries == null) {
            return 0;
        }
        entries.cleanUp();
        return entries.estimatedSize();
    }

    /** {@code client}'s own cache of keys, made on its first key. */
    private Cache<String, Entry<T>> keysOf(String client) {
        return clients.computeIfAbsent(Objects.requireNonNull(client, "client"), c -> Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumSize(maxKeysPerClient)
                .ticker(ticker)
                // eviction and expiry on the writing thread: the bound holds when resolve returns,
                // and no task goes to the common pool per key
                .executor(Runnable::run)
                .build());
    }

    /** @param replayed true when the result belongs to an earlier request with the same key */
    public record Replay<T>(CompletableFuture<T> result, boolean replayed) {
    }
}
