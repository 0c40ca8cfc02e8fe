package dev.imagerouter.cache;

import dev.imagerouter.settings.CacheConfig;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.settings.StorageSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The result cache on its own, with a real image store on a temporary directory, a hand-run
 * disk-read executor and injected time (a Caffeine ticker and a wall clock moved together), so
 * single flight, failure handling and the TTL are checked without threads racing or sleeping.
 */
class ResultCacheTest {

    private static final Duration TTL = Duration.ofHours(24);
    private static final String HASH = "a".repeat(64);

    @TempDir
    Path dir;

    private final ManualExecutor diskReads = new ManualExecutor();
    private final MutableTime time = new MutableTime(Instant.parse("2025-01-01T00:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private ImageStore store;
    private ResultCache cache;

    @BeforeEach
    void setUp() {
        store = new ImageStore(new StorageSettings(dir, ""));
        cache = newCache();
    }

    private ResultCache newCache() {
        return new ResultCache(new CacheConfig(TTL, 100, false), store, diskReads, time, time::nanos, new SimpleMeterRegistry());
    }

    /** A generator that stores an image and its record like GenerationService does, and counts its calls. */
    private final class Generator implements Supplier<CompletableFuture<CachedGeneration>> {
        final AtomicInteger calls = new AtomicInteger();
        final CompletableFuture<CachedGeneration> pending = new CompletableFuture<>();
        final boolean completeAtOnce;
        final String provider;

        Generator(boolean completeAtOnce, String provider) {
            this.completeAtOnce = completeAtOnce;
            this.provider = provider;
        }

        @Override
        public CompletableFuture<CachedGeneration> get() {
            calls.incrementAndGet();
            if (completeAtOnce) {
                complete();
            }
            return pending;
        }

        void complete() {
            ImageStore.StoredImage image = store.put((provider + " image").getBytes(StandardCharsets.UTF_8), "png");
            ImageStore.GenerationRecord record = new ImageStore.GenerationRecord(HASH, List.of(image), provider, "model",
                    time.instant(), false, Optional.empty());
            store.putRecord(record);
            pending.complete(new CachedGeneration(record, List.of()));
        }
    }

    @Test
    void get_neverReadsTheDiskOnTheCallersThread_andReportsTheGeneratingLookupAsMiss() {
        Generator generator = new Generator(true, "p");

        // When a lookup is made, nothing happens on this thread: the disk read is queued on the executor
        CompletableFuture<ResultCache.Answer> answer = cache.get(HASH, generator);
        assertFalse(answer.isDone());
        assertEquals(0, generator.calls.get());
        assertEquals(1, diskReads.queued());

        // Then running the disk read finds no record and starts the generation
        diskReads.runAll();
        assertEquals(1, generator.calls.get());
        assertEquals(ResultCache.Source.MISS, answer.join().source());
    }

    @Test
    void concurrentLookups_shareOneGeneration_firstIsMissOthersHit() {
        Generator generator = new Generator(false, "p");

        CompletableFuture<ResultCache.Answer> first = cache.get(HASH, generator);
        CompletableFuture<ResultCache.Answer> duringDiskRead = cache.get(HASH, generator);
        diskReads.runAll();
        CompletableFuture<ResultCache.Answer> duringGeneration = cache.get(HASH, generator);
        generator.complete();

        assertEquals(1, generator.calls.get());
        assertEquals(ResultCache.Source.MISS, first.join().source());
        assertEquals(ResultCache.Source.HIT, duringDiskRead.join().source());
        assertEquals(ResultCache.Source.HIT, duringGeneration.join().source());
        assertSame(first.join().generation(), duringGeneration.join().generation());
    }

    @Test
    void failedGeneration_isNotCached_nextLookupGeneratesAgain() {
        Supplier<CompletableFuture<CachedGeneration>> failing =
                () -> CompletableFuture.failedFuture(new IllegalStateException("every provider failed"));
        CompletableFuture<ResultCache.Answer> failed = cache.get(HASH, failing);
        diskReads.runAll();
        CompletionException error = assertThrows(CompletionException.class, failed::join);
        assertTrue(error.getCause() instanceof IllegalStateException);

        Generator generator = new Generator(true, "p");
        CompletableFuture<ResultCache.Answer> next = cache.get(HASH, generator);
        diskReads.runAll();
        assertEquals(1, generator.calls.get());
        assertEquals(ResultCache.Source.MISS, next.join().source());
    }

    @Test
    void recordOnDisk_isAHit_withoutGenerating_afterARestart() {
        Generator generator = new Generator(true, "leonardo-phoenix");
        cache.get(HASH, generator);
        diskReads.runAll();

        // A new cache over the same store: an empty memory, as after a restart
        ResultCache restarted = newCache();
        Generator never = new Generator(true, "other");
        CompletableFuture<ResultCache.Answer> answer = restarted.get(HASH, never);
        diskReads.runAll();

        assertEquals(0, never.calls.get());
        assertEquals(ResultCache.Source.HIT, answer.join().source());
        assertEquals("leonardo-phoenix", answer.join().generation().record().provider());
        assertEquals(List.of(), answer.join().generation().attempts());
    }

    @Test
    void recordOnDiskOlderThanTheTtl_isIgnored_andTheRequestIsGeneratedAgain() {
        cache.get(HASH, new Generator(true, "old"));
        diskReads.runAll();

        time.advance(TTL.plusSeconds(1));
        ResultCache restarted = newCache();
        Generator generator = new Generator(true, "new");
        CompletableFuture<ResultCache.Answer> answer = restarted.get(HASH, generator);
        diskReads.runAll();

        assertEquals(1, generator.calls.get());
        assertEquals(ResultCache.Source.MISS, answer.join().source());
        assertEquals("new", answer.join().generation().record().provider());
    }

    @Test
    void memoryEntry_expiresTtlAfterItsRecordWasCreated_notAfterItWasLoaded() {
        cache.get(HASH, new Generator(true, "first"));
        diskReads.runAll();

        // Loaded from disk 23 h after it was made: in memory it has 1 h left, not 24 h
        time.advance(Duration.ofHours(23));
        ResultCache restarted = newCache();
        restarted.get(HASH, new Generator(true, "never")).thenRun(() -> { });
        diskReads.runAll();
        time.advance(Duration.ofMinutes(59));
        Generator stillCached = new Generator(true, "never");
        assertEquals(ResultCache.Source.HIT, restarted.get(HASH, stillCached).join().source());
        assertEquals(0, stillCached.calls.get());

        time.advance(Duration.ofMinutes(2));
        Generator expired = new Generator(true, "second");
        CompletableFuture<ResultCache.Answer> answer = restarted.get(HASH, expired);
        diskReads.runAll();
        assertEquals(1, expired.calls.get());
        assertEquals(ResultCache.Source.MISS, answer.join().source());
    }

    @Test
    void refresh_replacesTheEntry_andAFailedRefreshKeepsTheOldOne() {
        cache.get(HASH, new Generator(true, "first"));
        diskReads.runAll();

        ResultCache.Answer fresh = cache.refresh(HASH, new Generator(true, "second")).join();
        assertEquals("second", fresh.generation().record().provider());
        assertEquals(ResultCache.Source.MISS, fresh.source());
        ResultCache.Answer afterRefresh = cache.get(HASH, new Generator(true, "never")).join();
        assertEquals("second", afterRefresh.generation().record().provider());
        assertEquals(ResultCache.Source.HIT, afterRefresh.source());

        CompletableFuture<ResultCache.Answer> failed = cache.refresh(HASH,
                () -> CompletableFuture.failedFuture(new IllegalStateException("chain failed")));
        assertThrows(CompletionException.class, failed::join);
        assertEquals("second", cache.get(HASH, new Generator(true, "never")).join().generation().record().provider());
    }

    @Test
    void concurrentRefreshes_shareOneGeneration_replaceTheEntryOnce_firstIsMissOthersHit() {
        cache.get(HASH, new Generator(true, "old"));
        diskReads.runAll();
        Generator fresh = new Generator(false, "fresh");
        Generator never = new Generator(true, "never");

        // Given a no-cache generation in flight, identical no-cache requests join it
        CompletableFuture<ResultCache.Answer> first = cache.refresh(HASH, fresh);
        CompletableFuture<ResultCache.Answer> second = cache.refresh(HASH, never);
        CompletableFuture<ResultCache.Answer> third = cache.refresh(HASH, never);
        assertEquals(1, fresh.calls.get());
        assertEquals(0, never.calls.get());
        // and meanwhile a plain lookup is still served the old entry
        assertEquals("old", cache.get(HASH, never).join().generation().record().provider());

        // When it completes, every one of them gets it, and it is the entry
        fresh.complete();
        assertEquals(ResultCache.Source.MISS, first.join().source());
        assertEquals(ResultCache.Source.HIT, second.join().source());
        assertEquals(ResultCache.Source.HIT, third.join().source());
        assertSame(first.join().generation(), second.join().generation());
        assertEquals("fresh", cache.get(HASH, never).join().generation().record().provider());

        // And the flight is over: the next no-cache request generates again
        Generator later = new Generator(true, "later");
        assertEquals(ResultCache.Source.MISS, cache.refresh(HASH, later).join().source());
        assertEquals(1, later.calls.get());
        assertEquals(0, never.calls.get());
    }

    @Test
    void aFailedRefresh_failsItsJoiners_keepsTheEntry_andTheNextRefreshStartsANewGeneration() {
        cache.get(HASH, new Generator(true, "old"));
        diskReads.runAll();
        CompletableFuture<CachedGeneration> failing = new CompletableFuture<>();
        AtomicInteger failingCalls = new AtomicInteger();
        Supplier<CompletableFuture<CachedGeneration>> failingGenerator = () -> {
            failingCalls.incrementAndGet();
            return failing;
        };

        CompletableFuture<ResultCache.Answer> first = cache.refresh(HASH, failingGenerator);
        CompletableFuture<ResultCache.Answer> joined = cache.refresh(HASH, failingGenerator);
        failing.completeExceptionally(new IllegalStateException("chain failed"));

        assertEquals(1, failingCalls.get());
        CompletionException e = assertThrows(CompletionException.class, joined::join);
        assertEquals("chain failed", e.getCause().getMessage());
        assertThrows(CompletionException.class, first::join);
        assertEquals("old", cache.get(HASH, new Generator(true, "never")).join().generation().record().provider());

        Generator retry = new Generator(true, "retry");
        ResultCache.Answer answer = cache.refresh(HASH, retry).join();
        assertEquals(1, retry.calls.get());
        assertEquals(ResultCache.Source.MISS, answer.source());
        assertEquals("retry", cache.get(HASH, new Generator(true, "never")).join().generation().record().provider());
    }

    @Test
    void hitAndMissCounters_agreeWithTheReportedSource() {
        ResultCache counted = new ResultCache(new CacheConfig(TTL, 100, false), store, diskReads, time, time::nanos, registry);
        counted.get(HASH, new Generator(true, "p"));
        diskReads.runAll();
        counted.get(HASH, new Generator(true, "never")).join();
        counted.get(HASH, new Generator(true, "never")).join();

        assertEquals(2.0, registry.get(MetricNames.CACHE_GETS).tag("result", "hit").counter().count());
        assertEquals(1.0, registry.get(MetricNames.CACHE_GETS).tag("result", "miss").counter().count());
        assertEquals(1.0, registry.get(MetricNames.CACHE_SIZE).gauge().value());
    }

    /** Runs submitted tasks only when told to, on the test's thread. */
    private static final class ManualExecutor implements Executor {
        private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        int queued() {
            return tasks.size();
        }

        void runAll() {
            for (Runnable task; (task = tasks.poll()) != null; ) {
                task.run();
            }
        }
    }

    /** A wall clock and a Caffeine ticker that move together, only when told to. */
    private static final class MutableTime extends Clock {
        private volatile Instant now;
        private final AtomicLong nanos = new AtomicLong();

        MutableTime(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
            nanos.addAndGet(by.toNanos());
        }

        long nanos() {
            return nanos.get();
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
