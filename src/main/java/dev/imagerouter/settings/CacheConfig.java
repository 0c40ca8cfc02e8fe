package dev.imagerouter.settings;

import java.time.Duration;

/**
 * Result cache settings ({@code router.cache.*}).
 *
 * @param ttl                      how long a result is served from the cache (memory and disk records);
 *                                 also how long an {@code Idempotency-Key} is remembered
 * @param maxEntries               the most results held in memory
 * @param perClient                whether the client's name is part of the request hash (isolation between clients)
 * @param idempotencyKeysPerClient the most {@code Idempotency-Key}s remembered for one client; each client
 *                                 has its own bound, so one client's keys never evict another's
 */
public record CacheConfig(Duration ttl, long maxEntries, boolean perClient, long idempotencyKeysPerClient) {

    /** Default of {@code router.cache.idempotency-keys-per-client}. */
    public static final long DEFAULT_IDEMPOTENCY_KEYS_PER_CLIENT = 10_000;

    /** Settings with the default {@link #idempotencyKeysPerClient}. */
    public CacheConfig(Duration ttl, long maxEntries, boolean perClient) {
        this(ttl, maxEntries, perClient, DEFAULT_IDEMPOTENCY_KEYS_PER_CLIENT);
    }
}
