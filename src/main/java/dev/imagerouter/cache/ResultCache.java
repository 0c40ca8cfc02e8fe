package dev.imagerouter.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.imagerouter.settings.CacheConfig;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.storage.StorageUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

// Over 300 lines because both cache levels, single flight for lookups and for no-cache refreshes, the missing-file check and the metrics binding share one Caffeine cache, so the HIT/MISS rules sit in one place.

/*
 * Two levels (three with REDIS_URI), keyed by request hash:
 *   1. Caffeine AsyncCache in memory. get(key, loader) gives single flight: concurrent identical
 *      requests share one in-flight generation; a failed future is removed by Caffeine, so failures
 *      are never cached. Size bound = max-entries. An entry expires at its record's created time
 *      plus the TTL (not "TTL after it entered memory"), so a result read back from disk is never
 *      served past the TTL its generation started.
 *   2. The image store's per-hash record on disk, consulted by the loader before generating, so a
 *      restart keeps earlier results until their TTL. Reading it is file I/O: the loader does it on
 *      the disk-read executor, never on the caller's thread (a Netty event loop). The loader's
 *      future is in the cache from the first call on, so requests arriving during the disk read
 *      join it like any in-flight generation.
 *   3. With REDIS_URI set, SharedFlights after both: the result another replica generated, or single
 *      flight across replicas (one replica generates, the others wait for it). Never on a memory hit.
 *
 * HIT or MISS, as the response reports it (X-Router-Cache, router.cached):
 *   MISS  this request's lookup called the generator (nothing in memory, nothing usable on disk);
 *   HIT   anything else: served from memory, from a disk record, or by joining a lookup in flight.
 * The same split feeds image_router_cache_gets{result}, so the metric agrees with the header.
 *
 * An entry in memory whose image files are gone (deleted by hand, a lost volume) must not answer
 * with a 404 URL or fail a b64_json read: before a completed entry answers, each of its images is
 * stat'ed (ImageStore.hasImages, about a microsecond each, on the caller's thread; with the images in
 * a bucket no request is made: an image is trusted once written or seen, until a read finds it gone,
 * see ImageStore). If one is
 * missing, the entry is removed and the lookup runs once more: the disk record is ignored too
 * (findRecord checks its images), so the request generates anew. If that second answer's images
 * are missing as well, the lookup fails with StorageUnavailableException (503), never loops.
 *
 * Cache-Control: no-cache bypasses both levels; the fresh generation replaces the entry in memory
 * (here) and on disk (the generator writes the record) before its answer is returned.
 *
 * No-cache requests have their own single flight (refresh): identical no-cache requests that arrive
 * while a no-cache generation of their request hash is in flight join it instead of paying for
 * another, and the entry is replaced once, when it succeeds. By the rule above the request that
 * started it is a MISS and the ones that joined are HITs (X-Router-Cache, router.cached; the API
 * counts them in image_router_requests_total as cache="bypass" and cache="hit"). refresh is not a
 * lookup, so image_router_cache_gets does not count it either way. A failure is seen by the
 * requests that joined it, leaves the existing entry in place, and is forgotten at once: the next
 * no-cache request starts a new generation. A plain request (get) arriving during a refresh is
 * answered from the existing entry as usual (the refresh only replaces it when it succeeds).
 */
/** The result cache by request hash. Thread-safe. */
public final class ResultCache {

    /** How a lookup was answered. */
    public enum Source {
        /** Served from memory or disk, or joined an identical lookup in flight: no provider was called for it. */
        HIT,
        /** This request started the generation. */
        MISS
    }

    /** A lookup's answer: the generation and how it was obtained. */
    public record Answer(CachedGeneration generation, Source source) {
        public Answer {
            Objects.requireNonNull(generation, "generation");
            Objects.requireNonNull(source, "source");
        }
    }

    /**
     * What the cache holds: a generation, or the failure of one. Failures are values, not failed
     * futures, so that Caffeine does not log every failed generation as a load error; a failure
     * expires at once and is removed on completion, so it is only ever seen by the requests that
     * joined that generation in flight.
     */
    private record Outcome(CachedGeneration generation, Throwable failure) {
    }

    /** Retry-After when an image vanished twice in a row: something outside is deleting the store. */
    private static final Duration RETRY_MISSING_IMAGE = Duration.ofSeconds(30);

    private final AsyncCache<String, Outcome> cache;
    /** No-cache generations in flight by request hash (single flight for {@link #refresh}); removed when they end. */
    private final java.util.concurrent.ConcurrentMap<String, CompletableFuture<CachedGeneration>> refreshing =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final ImageStore store;
    private final SharedFlights flights;
    private final Executor diskReads;
    private final Duration ttl;
    private final Clock clock;
    private final Counter hits;
    private final Counter misses;

    /**
     * @param config    TTL and size bound
     * @param store     the durable second level
     * @param diskReads where records are read (blocking file or network I/O), e.g. the image-work pool
     *                  for a local directory, the storage-io pool for a bucket
     * @param clock     wall clock, compared with records' created times
     * @param ticker    Caffeine's time source for expiry (inject a fake one in tests)
     * @param registry  where the cache statistics go ({@code image_router_cache_*})
     */
    public ResultCache(CacheConfig config, ImageStore store, Executor diskReads, Clock clock, Ticker ticker,
                       MeterRegistry registry) {
        this(config, store, diskReads, clock, ticker, registry, SharedFlights.NONE);
    }

    /**
     * As {@link #ResultCache(CacheConfig, ImageStore, Executor, Clock, Ticker, MeterRegistry)}, with a
     * third level after memory and the store's record: single flight across replicas through Redis
     * ({@link SharedFlights}; {@link SharedFlights#NONE} without it).
     */
    public ResultCache(CacheConfig config, ImageStore store, Executor diskReads, Clock clock, Ticker ticker,
                       MeterRegistry registry, SharedFlights flights) {
        this.flights = Objects.requireNonNull(flights, "flights");
        this.store = Objects.requireNonNull(store, "store");
        this.diskReads = Objects.requireNonNull(diskReads, "diskReads");
        this.ttl = config.ttl();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cache = Caffeine.newBuilder()
                .expireAfter(new UntilRecordExpires())
                .maximumSize(config.maxEntries())
                .ticker(ticker)
                // Maintenance (draining the read and write buffers, eviction, expiry) on the thread
                // that wrote, amortised, instead of a task for the fork-join common pool: at a few
                // hundred generations a second every insert scheduled one, which woke a parked
                // common-pool thread (a futex call and a context switch) before the answer went out
                // (bench/RESULTS.md, fifth round). The work itself is a few entries; nothing here
                // has a removal listener or a loader Caffeine would run on this executor.
                .executor(Runnable::run)
                .recordStats()
                .buildAsync();
        this.hits = Counter.builder(MetricNames.CACHE_GETS).tag("result", "hit")
                .description("Result cache lookups, as reported in X-Router-Cache").register(registry);
        this.misses = Counter.builder(MetricNames.CACHE_GETS).tag("result", "miss")
                .description("Result cache lookups, as reported in X-Router-Cache").register(registry);
        bindCaffeineMetrics(registry);
    }

    /**
     * The generation for {@code requestHash}: from memory, from disk, joined in flight, or started
     * by {@code generate} (at most once per hash at a time). Never blocks the caller; an answer from
     * memory costs one {@code stat} per image on disk, none in a bucket (see the header: an entry whose
     * images are gone is dropped and looked up once more).
     *
     * @param generate starts a generation that stores its images and record before completing;
     *                 called at most once, on a disk-read thread or the caller's
     * @return the answer, or failed as {@code generate}'s future failed (nothing is cached then), or
     *         with {@link StorageUnavailableException} when the images are missing again after the retry
     */
    public CompletableFuture<Answer> get(String requestHash, Supplier<CompletableFuture<CachedGeneration>> generate) {
        CompletableFuture<Outcome> inMemory = cache.getIfPresent(requestHash);
        if (inMemory == null || !inMemory.isDone()) {
            return lookup(requestHash, generate); // nothing stored yet, or a generation in flight
        }
        Outcome outcome = inMemory.join(); // the loader never fails its future (failures are values)
        if (outcome.generation() == null || store.hasImages(outcome.generation().record())) {
            return lookup(requestHash, generate);
        }
        cache.asMap().remove(requestHash, inMemory);
        return lookup(requestHash, generate).thenApply(answer -> {
            if (!store.hasImages(answer.generation().record())) {
                throw new StorageUnavailableException("An image of request " + requestHash
                        + " is missing from the store right after it was generated again.", RETRY_MISSING_IMAGE);
            }
            return answer;
        });
    }

    private CompletableFuture<Answer> lookup(String requestHash, Supplier<CompletableFuture<CachedGeneration>> generate) {
        AtomicBoolean generated = new AtomicBoolean();
        CompletableFuture<Outcome> outcome = cache.get(requestHash, (key, executor) -> {
            CompletableFuture<Outcome> loading = CompletableFuture.supplyAsync(() -> fresh(store.findRecord(key)), diskReads)
                    .thenCompose(onDisk -> {
                        if (onDisk.isPresent()) {
                            return CompletableFuture.completedFuture(new CachedGeneration(onDisk.get(), List.of()));
                        }
                        // another replica may have it, or be generating it (REDIS_URI): asked only after both
                        // levels here missed, so a hit never waits for Redis
                        return flights.produce(key, () -> {
                            generated.set(true);
                            return generate.get();
                        });
                    })
                    .handle((generation, error) -> new Outcome(generation, error));
            return loading;
        });
        outcome.thenAccept(o -> {
            if (o.failure() != null) {
                cache.asMap().remove(requestHash, outcome);
            }
        });
        CompletableFuture<CachedGeneration> future = outcome.thenCompose(o -> o.failure() == null
                ? CompletableFuture.completedFuture(o.generation()) : CompletableFuture.failedFuture(unwrap(o.failure())));
        future.whenComplete((generation, error) -> {
            if (error != null) {
                misses.increment(); // nothing was served from the cache
            }
        });
        // generated is set before generate's future exists, so before this stage can run.
        return future.thenApply(generation -> {
            Source source = generated.get() ? Source.MISS : Source.HIT;
            (source == Source.HIT ? hits : misses).increment();
            return new Answer(generation, source);
        });
    }

    /**
     * A fresh generation ({@code Cache-Control: no-cache}) for {@code requestHash}: the one in flight
     * for the same hash if there is one (joined: {@link Source#HIT}), else one started by
     * {@code generate} ({@link Source#MISS}). Once it succeeds it becomes the entry, before the
     * returned future completes, so the next identical request gets it. A failure leaves the
     * existing entry in place and ends the flight, so the next no-cache request starts a new one.
     * Never blocks the caller.
     *
     * @param generate starts a generation that stores its images and record before completing;
     *                 called on the caller's thread, only when no refresh of the hash is in flight
     * @return the answer, or failed as the shared generation failed
     */
    public CompletableFuture<Answer> refresh(String requestHash, Supplier<CompletableFuture<CachedGeneration>> generate) {
        CompletableFuture<CachedGeneration> mine = new CompletableFuture<>();
        CompletableFuture<CachedGeneration> inFlight = refreshing.putIfAbsent(requestHash, mine);
        if (inFlight != null) {
            return inFlight.thenApply(generation -> new Answer(generation, Source.HIT));
        }
        CompletableFuture<CachedGeneration> started;
        try {
            started = generate.get();
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        started.whenComplete((generation, error) -> {
            if (error == null) {
                cache.put(requestHash, CompletableFuture.completedFuture(new Outcome(generation, null)));
                flights.publish(generation); // other replicas that miss in memory get the newest too
            }
            // ended before it completes: whoever finds it in the map still gets this outcome, and
            // whoever comes after starts afresh
            refreshing.remove(requestHash, mine);
            if (error == null) {
                mine.complete(generation);
            } else {
                mine.completeExceptionally(unwrap(error));
            }
        });
        return mine.thenApply(generation -> new Answer(generation, Source.MISS));
    }

    /**
     * Makes {@code generation} the entry for {@code requestHash} only if memory holds none (nothing
     * cached, nothing in flight): how a late image of an accepted job becomes the cached result
     * without replacing an answer already given. The caller checks the disk record first.
     *
     * @return whether it became the entry
     */
    public boolean offer(String requestHash, CachedGeneration generation) {
        return cache.asMap().putIfAbsent(requestHash, CompletableFuture.completedFuture(new Outcome(generation, null))) == null;
    }

    /** The record if it was created within the TTL ({@code findRecord} already checked its images are stored). */
    private Optional<ImageStore.GenerationRecord> fresh(Optional<ImageStore.GenerationRecord> record) {
        Instant oldest = clock.instant().minus(ttl);
        return record.filter(r -> r.created().isAfter(oldest));
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** Nanoseconds until {@code outcome}'s record is older than the TTL; 0 if it already is or it is a failure. */
    private long remainingNanos(Outcome outcome) {
        if (outcome.failure() != null) {
            return 0;
        }
        CachedGeneration generation = outcome.generation();
        Duration left = Duration.between(clock.instant(), generation.record().created().plus(ttl));
        if (left.isNegative()) {
            return 0;
        }
        try {
            return left.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE; // a TTL of centuries: never
        }
    }

    /** Entries in memory now (approximate). */
    public long size() {
        return cache.synchronous().estimatedSize();
    }

    /** Expiry at the record's created time plus the TTL, on creation and on replacement alike. */
    private final class UntilRecordExpires implements Expiry<String, Outcome> {
        @Override
        public long expireAfterCreate(String key, Outcome value, long currentTime) {
            return remainingNanos(value);
        }

        @Override
        public long expireAfterUpdate(String key, Outcome value, long currentTime, long currentDuration) {
            return remainingNanos(value);
        }

        @Override
        public long expireAfterRead(String key, Outcome value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    private void bindCaffeineMetrics(MeterRegistry registry) {
        Supplier<CacheStats> stats = () -> cache.synchronous().stats();
        FunctionCounter.builder(MetricNames.CACHE_EVICTIONS, this, c -> stats.get().evictionCount())
                .description("Result cache evictions (expired or over max-entries)").register(registry);
        Gauge.builder(MetricNames.CACHE_SIZE, this, ResultCache::size).description("Result cache entries").register(registry);
        FunctionTimer.builder(MetricNames.CACHE_LOAD_DURATION, this,
                        c -> stats.get().loadCount(), c -> stats.get().totalLoadTime(), TimeUnit.NANOSECONDS)
                .description("Time spent producing cached results (disk reads and generations)").register(registry);
    }
}
