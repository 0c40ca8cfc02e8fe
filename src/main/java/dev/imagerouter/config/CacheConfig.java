package dev.imagerouter.config;

import java.time.Duration;

/**
 * Result cache settings.
 *
 * @param ttl        how long a result is served from the cache (memory and disk records)
 * @param maxEntries the most results held in memory
 * @param perClient  whether the client's name is part of the request hash (isolation between clients)
 */
public record CacheConfig(Duration ttl, long maxEntries, boolean perClient) {
}
