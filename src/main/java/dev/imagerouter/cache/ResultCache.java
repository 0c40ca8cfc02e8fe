package dev.imagerouter.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.imagerouter.config.CacheConfig;
import dev.imagerouter.metrics.MetricNames;
import dev.imagerouter.storage.ImageStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/*
 * Two levels, keyed by request hash:
 *   1. Caffeine AsyncCache in memory. get(key, loader) gives single flight: concurrent identical
 *      requests share one in-flight generation; a failed future is removed by Caffeine, so failures
 *      are never cached. TTL = expire-after-write, size bound = max-entries.
 *   2. The image store's per-hash record on disk, consulted by the loader before generating, so a
 *      restart keeps earlier results until their TTL.
 * Cache-Control: no-cache bypasses both and replaces the entry with the fresh generation.
 */
/** The result cache by request hash. Thread-safe. */
public final class ResultCache {

    /** How a lookup was answered. */
    public enum Source {
        /** Served from memory or disk, or joined an identical generation in flight. */
        HIT,
        /** This request started the generation. */
        MISS
    }

    /** A lookup's answer. */
    public record Lookup(CompletableFuture<CachedGeneration> generation, Source source) {
    }

    private final AsyncCache<String, CachedGeneration> cache;
    private final ImageStore store;
    private final CacheConfig config;
    private final Clock clock;

    public ResultCache(CacheConfig config, ImageStore store, Clock clock, Ticker ticker, MeterRegistry registry) {
        this.config = config;
        this.store = store;
        this.clock = clock;
        this.cache = Caffeine.newBuilder()
                .expireAfterWrite(config.ttl())
                .maximumSize(config.maxEntries())
                .ticker(ticker)
                .recordStats()
                .buildAsync();
        bindMetrics(registry);
    }

    /**
     * The generation for {@code requestHash}: from memory, from disk, joined in flight, or started
     * by {@code generate} (at most once per hash at a time).
     */
    public Lookup get(String requestHash, Supplier<CompletableFuture<CachedGeneration>> generate) {
        AtomicBoolean started = new AtomicBoolean();
        CompletableFuture<CachedGeneration> future = cache.get(requestHash, (key, executor) -> {
            Optional<ImageStore.GenerationRecord> onDisk = fresh(store.findRecord(key));
            if (onDisk.isPresent()) {
                return CompletableFuture.completedFuture(new CachedGeneration(onDisk.get(), java.util.List.of()));
            }
            started.set(true);
            return generate.get();
        });
        return new Lookup(future, started.get() ? Source.MISS : Source.HIT);
    }

    /** Starts a fresh generation (Cache-Control: no-cache) and makes it the entry once it succeeds. */
    public CompletableFuture<CachedGeneration> refresh(String requestHash, Supplier<CompletableFuture<CachedGeneration>> generate) {
        CompletableFuture<CachedGeneration> future = generate.get();
        future.thenAccept(g -> cache.put(requestHash, CompletableFuture.completedFuture(g)));
        return future;
    }

    private Optional<ImageStore.GenerationRecord> fresh(Optional<ImageStore.GenerationRecord> record) {
        Instant oldest = clock.instant().minus(config.ttl());
        return record.filter(r -> r.created().isAfter(oldest) && r.images().stream()
                .allMatch(i -> store.find(i.sha256(), i.extension()).isPresent()));
    }

    /** Entries in memory now (approximate). */
    public long size() {
        return cache.synchronous().estimatedSize();
    }

    private void bindMetrics(MeterRegistry registry) {
        Supplier<CacheStats> stats = () -> cache.synchronous().stats();
        FunctionCounter.builder(MetricNames.CACHE_GETS, this, c -> stats.get().hitCount()).tag("result", "hit")
                .description("Result cache lookups").register(registry);
        FunctionCounter.builder(MetricNames.CACHE_GETS, this, c -> stats.get().missCount()).tag("result", "miss")
                .description("Result cache lookups").register(registry);
        FunctionCounter.builder(MetricNames.CACHE_EVICTIONS, this, c -> stats.get().evictionCount())
                .description("Result cache evictions").register(registry);
        Gauge.builder(MetricNames.CACHE_SIZE, this, ResultCache::size).description("Result cache entries").register(registry);
        FunctionTimer.builder(MetricNames.CACHE_LOAD_DURATION, this,
                        c -> stats.get().loadCount(), c -> stats.get().totalLoadTime(), TimeUnit.NANOSECONDS)
                .description("Time spent producing cached results").register(registry);
    }
}
