package dev.imagerouter.cache;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.Leases;
import dev.imagerouter.settings.CacheConfig;
import dev.imagerouter.settings.ClusterSettings;
import dev.imagerouter.settings.StorageSettings;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.vocabulary.Secret;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Single flight across replicas, with two "replicas" in one JVM: two result caches, each with its
 * own Redis connection and replica id, sharing one image store directory and one real Redis. The
 * process-level version (three routers, a kill -9) is {@code launcher.ReplicasAcceptanceTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedFlightsTest {

    private static final Duration LEASE = Duration.ofMillis(900);

    @TempDir
    Path dir;

    private RedisServer redis;
    private ScheduledExecutorService scheduler;
    private ExecutorService diskReads;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private ImageStore store;

    @BeforeAll
    void startRedis() throws Exception {
        redis = RedisServer.onFreePort();
    }

    @AfterAll
    void stopRedis() throws Exception {
        redis.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        redis.start();
        scheduler = Executors.newScheduledThreadPool(2);
        diskReads = Executors.newFixedThreadPool(2);
        store = new ImageStore(new StorageSettings(dir, ""));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        closing.clear();
        scheduler.shutdownNow();
        diskReads.shutdownNow();
    }

    /** One replica: its own connection, leases and result cache. */
    private final class Replica {
        final Cluster cluster;
        final ResultCache cache;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();

        Replica(String id) {
            cluster = Cluster.start(new ClusterSettings(Optional.of(Secret.of(redis.uri())), "flights-test:", Optional.of(id),
                    Duration.ofMillis(500), LEASE, Duration.ofSeconds(20)), scheduler, registry);
            closing.add(cluster);
            SharedFlights flights = new SharedFlights(cluster, new Leases(cluster, scheduler), ObjectMapper.getDefault(), store,
                    Duration.ofHours(1), Clock.systemUTC(), scheduler);
            cache = new ResultCache(new CacheConfig(Duration.ofHours(1), 100, false), store, diskReads, Clock.systemUTC(),
                    Ticker.systemTicker(), registry, flights);
            await().atMost(Duration.ofSeconds(10)).until(cluster::up);
        }

        double fallbacks() {
            return registry.get(MetricNames.REDIS_FALLBACKS).tag("operation", "single_flight").counter().count();
        }
    }

    /** Generates like GenerationService: an image stored, then the generation; counts calls across replicas. */
    private final class Generator implements Supplier<CompletableFuture<CachedGeneration>> {
        final String hash;
        final AtomicInteger calls;
        final CompletableFuture<Void> release;

        Generator(String hash, AtomicInteger calls, CompletableFuture<Void> release) {
            this.hash = hash;
            this.calls = calls;
            this.release = release;
        }

        @Override
        public CompletableFuture<CachedGeneration> get() {
            int n = calls.incrementAndGet();
            return release.thenApplyAsync(v -> {
                ImageStore.StoredImage image = store.put(("image " + hash + " " + n).getBytes(StandardCharsets.UTF_8), "png");
                ImageStore.GenerationRecord record = new ImageStore.GenerationRecord(hash, List.of(image), "provider-" + n, "m",
                        java.time.Instant.now(), false, Optional.empty());
                store.putRecord(record);
                return new CachedGeneration(record, List.of());
            }, diskReads);
        }
    }

    private static String newHash() {
        return (UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID().toString().replace("-", "")).substring(0, 64);
    }

    @Test
    void identicalRequestsOnTwoReplicas_oneGenerates_theOtherIsAnsweredFromIt() throws Exception {
        Replica a = new Replica("replica-a");
        Replica b = new Replica("replica-b");
        String hash = newHash();
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<Void> release = new CompletableFuture<>();
        List<CompletableFuture<ResultCache.Answer>> answers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            answers.add((i % 2 == 0 ? a : b).cache.get(hash, new Generator(hash, calls, release)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1);
        release.complete(null);
        List<ResultCache.Answer> done = new ArrayList<>();
        for (CompletableFuture<ResultCache.Answer> f : answers) {
            done.add(f.get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, calls.get(), "one generation for both replicas");
        assertEquals(1, done.stream().filter(x -> x.source() == ResultCache.Source.MISS).count());
        assertEquals(1, done.stream().map(x -> x.generation().record().provider()).distinct().count(), "one image for all");
        assertEquals(0.0, a.fallbacks() + b.fallbacks());
    }

    @Test
    void theOwnerFails_oneWaiterTakesOverAndGenerates() throws Exception {
        Replica a = new Replica("replica-a");
        Replica b = new Replica("replica-b");
        String hash = newHash();
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<Void> failing = new CompletableFuture<>();
        CompletableFuture<ResultCache.Answer> first = a.cache.get(hash, new Generator(hash, calls, failing));
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1);
        CompletableFuture<ResultCache.Answer> waiting = b.cache.get(hash, new Generator(hash, calls, CompletableFuture.completedFuture(null)));
        failing.completeExceptionally(new IllegalStateException("every provider failed"));
        assertTrue(first.handle((v, e) -> e != null).get(5, TimeUnit.SECONDS), "the owner's request gets its failure");
        ResultCache.Answer took = waiting.get(10, TimeUnit.SECONDS);
        assertEquals(ResultCache.Source.MISS, took.source(), "the waiter generated");
        assertEquals(2, calls.get());
    }

    @Test
    void theOwnerDies_itsLeaseExpires_andOneOfTwoWaitersRetriesOnce() throws Exception {
        Replica dying = new Replica("replica-dying");
        Replica b = new Replica("replica-b");
        Replica c = new Replica("replica-c");
        String hash = newHash();
        AtomicInteger calls = new AtomicInteger();
        dying.cache.get(hash, new Generator(hash, calls, new CompletableFuture<>())); // never finishes
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1);
        dying.cluster.close(); // no more renewals, no FINISH: as a kill -9 leaves it
        CompletableFuture<ResultCache.Answer> fromB = b.cache.get(hash, new Generator(hash, calls, CompletableFuture.completedFuture(null)));
        CompletableFuture<ResultCache.Answer> fromC = c.cache.get(hash, new Generator(hash, calls, CompletableFuture.completedFuture(null)));
        ResultCache.Answer answerB = fromB.get(10, TimeUnit.SECONDS);
        ResultCache.Answer answerC = fromC.get(10, TimeUnit.SECONDS);
        assertEquals(2, calls.get(), "retried once, by one replica");
        assertEquals(answerB.generation().record(), answerC.generation().record());
        assertEquals(1, (answerB.source() == ResultCache.Source.MISS ? 1 : 0) + (answerC.source() == ResultCache.Source.MISS ? 1 : 0));
    }

    @Test
    void redisDown_eachReplicaGeneratesOnItsOwn_andCountsTheFallback() throws Exception {
        Replica a = new Replica("replica-a");
        Replica b = new Replica("replica-b");
        redis.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> !a.cluster.up() && !b.cluster.up());
        String hash = newHash();
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<Void> release = CompletableFuture.completedFuture(null);
        assertEquals(ResultCache.Source.MISS, a.cache.get(hash, new Generator(hash, calls, release)).get(5, TimeUnit.SECONDS).source());
        // b has neither the memory entry nor Redis, but the shared store's record answers it
        assertEquals(ResultCache.Source.HIT, b.cache.get(hash, new Generator(hash, calls, release)).get(5, TimeUnit.SECONDS).source());
        assertEquals(1, calls.get());
        assertEquals(1.0, a.fallbacks());
    }
}
