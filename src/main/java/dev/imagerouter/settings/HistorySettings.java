package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;

import java.time.Duration;

/**
 * The generation history ({@code router.history.*}): what feeds the console's recent generations and
 * {@code GET /admin/generations}. Read at startup (a reload does not change it).
 *
 * @param retention  how long day files ({@code <router.storage.dir>/history/<yyyy-mm-dd>.jsonl}) are kept:
 *                   a file whose UTC day ended more than this long ago is deleted (default 30 days, at least 1 day)
 * @param maxEntries how many of the newest entries are held in memory, read back from the newest day files
 *                   at startup: the most {@code /admin/generations} pages through (default 1,000)
 * @param cacheHitInterval a cache hit is listed only when its request hash has not been listed (generated or
 *                   hit) within this long in this process (default 1 min); {@code 0s} lists every hit, a line
 *                   per hit, which at cache-hit rates costs a third to a half more CPU per hit and hundreds of MB a
 *                   minute of disk (bench/RESULTS.md, "Generation history")
 */
public record HistorySettings(Duration retention, int maxEntries, Duration cacheHitInterval) {

    /** Thirty days: a month of "what did the pipeline get" without unbounded disk. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);
    /** A thousand entries: twenty pages of the console's grid, about 1 MB of heap. */
    public static final int DEFAULT_MAX_ENTRIES = 1_000;
    /** The largest in-memory history accepted: 100,000 entries is about 100 MB of heap. */
    public static final int MAX_MAX_ENTRIES = 100_000;
    /** One minute: a request hash served from the cache all day is a line a minute, not a line per hit. */
    public static final Duration DEFAULT_CACHE_HIT_INTERVAL = Duration.ofMinutes(1);

    public HistorySettings {
        if (retention.compareTo(Duration.ofDays(1)) < 0) {
            throw new IllegalArgumentException("retention must be at least 1d, but was " + retention);
        }
        if (maxEntries < 1 || maxEntries > MAX_MAX_ENTRIES) {
            throw new IllegalArgumentException("maxEntries must be 1.." + MAX_MAX_ENTRIES + ", but was " + maxEntries);
        }
        if (cacheHitInterval.isNegative()) {
            throw new IllegalArgumentException("cacheHitInterval must not be negative, but was " + cacheHitInterval);
        }
    }

    /** The defaults: 30 days, 1,000 entries, a cache hit listed at most once a minute per request hash. */
    public static HistorySettings defaults() {
        return new HistorySettings(DEFAULT_RETENTION, DEFAULT_MAX_ENTRIES, DEFAULT_CACHE_HIT_INTERVAL);
    }

    /** Reads {@code router.history.*}; bad values are reported on the node's errors. */
    public static HistorySettings read(ConfigNode history) {
        return new HistorySettings(history.duration("retention", DEFAULT_RETENTION, Duration.ofDays(1)),
                history.integer("max-entries", DEFAULT_MAX_ENTRIES, 1, MAX_MAX_ENTRIES),
                history.duration("cache-hit-interval", DEFAULT_CACHE_HIT_INTERVAL));
    }
}
