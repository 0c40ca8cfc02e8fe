package dev.imagerouter.jobs;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.settings.ClusterSettings;
import dev.imagerouter.storage.FileSync;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.Secret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job store port's contract, held by both implementations: the file store (single node, and
 * each replica's fallback) and the Redis store (a real {@code redis-server}). Round trips, the
 * max-queued count, ordered saves, what a reopened store recovers, batches, retention, and ids
 * outside the format.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobStoreContractTest {

    private static final Duration REDIS_RETENTION = Duration.ofMillis(400);

    private RedisServer redis;
    private ScheduledExecutorService scheduler;
    private Cluster cluster;
    private final List<JobStore> opened = new ArrayList<>();
    private Path dir;

    @BeforeAll
    void startRedis() throws Exception {
        redis = RedisServer.onFreePort();
        scheduler = Executors.newScheduledThreadPool(2);
        cluster = Cluster.start(new ClusterSettings(Optional.of(Secret.of(redis.uri())), "contract:", Optional.of("replica-a"),
                Duration.ofMillis(500), Duration.ofSeconds(15), Duration.ofMinutes(1)), scheduler, new SimpleMeterRegistry());
        await().atMost(Duration.ofSeconds(10)).until(cluster::up);
    }

    @AfterAll
    void stopRedis() throws Exception {
        cluster.close();
        scheduler.shutdownNow();
        redis.close();
    }

    @AfterEach
    void closeStores() {
        opened.forEach(JobStore::close);
        opened.clear();
        redis.with(r -> r.flushall());
    }

    /** A store of {@code kind}; a second call with the same kind reopens the same data (a restart of the same replica). */
    private JobStore open(String kind) throws Exception {
        JobStore store;
        if (kind.equals("file")) {
            if (dir == null || opened.isEmpty()) {
                dir = Files.createTempDirectory("job-store-contract");
            }
            store = new FileJobStore(dir, ObjectMapper.getDefault(), FileSync.DEFAULT);
        } else {
            store = new RedisJobStore(cluster, ObjectMapper.getDefault(), () -> REDIS_RETENTION, Duration.ofSeconds(15),
                    Instant.now().plusMillis(1));
        }
        opened.add(store);
        return store;
    }

    /** Lets the store forget settled jobs past their retention (the file store is swept, Redis expires them itself). */
    private static void pastRetention(JobStore store, String settledId) {
        if (store instanceof FileJobStore file) {
            file.sweep(Instant.now().plus(1, ChronoUnit.HOURS));
        } else {
            await().atMost(Duration.ofSeconds(10)).until(() -> store.load(settledId).isEmpty());
        }
    }

    static JobRecord queued(String id, Instant created) {
        ImageRequest image = new ImageRequest("a fox", Optional.of("blur"), 1024, 768, 2, "high", Optional.empty(),
                Optional.of(4_294_967_296L), "webp", Optional.of("leonardo=429"));
        return new JobRecord(id, "blog", "req_1", JobRecord.Status.QUEUED, created, created, "ab".repeat(32),
                new JobRecord.JobRequest(image, true, "b64_json", "http://localhost:8080"), List.of(), null, null, Set.of(),
                null, null, new JobRecord.Callback("https://hooks.example.com/x", JobRecord.Callback.PENDING, List.of()), null);
    }

    private static Instant ms(long epochMilli) {
        return Instant.ofEpochMilli(epochMilli);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "redis"})
    void createdJobs_readBackEqual_includingTheirRequest_andCountAsUnfinished(String kind) throws Exception {
        JobStore store = open(kind);
        JobRecord a = queued(JobService.newId("job"), ms(1_800_000_000_000L));
        JobRecord b = queued(JobService.newId("job"), ms(1_800_000_000_001L));
        store.create(List.of(a, b), 10).join();
        assertEquals(Optional.of(a), store.load(a.id()));
        assertEquals(Optional.of(4_294_967_296L), store.load(b.id()).orElseThrow().request().image().seed());
        assertEquals(2, store.unfinished());
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "redis"})
    void aCreateBeyondMaxQueued_isRefusedWhole_andNothingOfItIsKept(String kind) throws Exception {
        JobStore store = open(kind);
        store.create(List.of(queued(JobService.newId("job"), Instant.now())), 3).join();
        JobRecord x = queued(JobService.newId("job"), Instant.now());
        JobRecord y = queued(JobService.newId("job"), Instant.now());
        JobRecord z = queued(JobService.newId("job"), Instant.now());
        CompletionException refused = assertThrows(CompletionException.class, () -> store.create(List.of(x, y, z), 3).join());
        assertInstanceOf(JobsFullException.class, refused.getCause());
        assertEquals(1, store.unfinished());
        assertTrue(store.load(x.id()).isEmpty() && store.load(z.id()).isEmpty());
        store.create(List.of(x, y), 3).join(); // exactly up to the limit
        assertEquals(3, store.unfinished());
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "redis"})
    void savesOfOneJob_endWithTheNewestKept_andATerminalOneCountsNoMore(String kind) throws Exception {
        JobStore store = open(kind);
        JobRecord job = queued(JobService.newId("job"), Instant.now());
        store.create(List.of(job), 10).join();
        List<CompletableFuture<JobStore.Saved>> saves = new ArrayList<>();
        JobRecord last = job;
        for (int i = 0; i < 30; i++) {
            last = last.calling("leonardo-phoenix", ms(1_800_000_000_000L + i));
            saves.add(store.save(last));
        }
        for (CompletableFuture<JobStore.Saved> save : saves) {
            assertEquals(JobStore.Saved.KEPT, save.join());
        }
        assertEquals(Optional.of(last), store.load(job.id()));
        assertEquals(1, store.unfinished());
        JobRecord failed = last.failed(new JobRecord.JobError(502, "Every provider in the chain failed.", "server_error", null,
                "all_providers_failed"), List.of(), Instant.now());
        assertEquals(JobStore.Saved.KEPT, store.save(failed).join());
        assertEquals(0, store.unfinished(), "a failed job is no longer unfinished, though its callback is pending");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "redis"})
    void aReopenedStore_recoversTheUnsettledJobs_oldestFirst_butNotTheSettledOnes(String kind) throws Exception {
        JobStore store = open(kind);
        Instant t = Instant.now().minusSeconds(60);
        JobRecord older = queued(JobService.newId("job"), t);
        JobRecord newer = queued(JobService.newId("job"), t.plusSeconds(1));
        JobRecord settled = queued(JobService.newId("job"), t.plusSeconds(2));
        JobRecord endedWithCallbackPending = queued(JobService.newId("job"), t.plusSeconds(3));
        store.create(List.of(newer, older, settled, endedWithCallbackPending), 10).join();
        JobRecord accepted = older.calling("leonardo-phoenix", t.plusSeconds(5))
                .accepted(new JobRecord.Accepted("leonardo-phoenix", "5d5f1319-aaaa"), t.plusSeconds(6));
        store.save(accepted).join();
        store.save(settled.cancelled(t.plusSeconds(7)).callback(new JobRecord.Callback("https://hooks.example.com/x",
                JobRecord.Callback.DELIVERED, List.of()), t.plusSeconds(7))).join();
        JobRecord failed = endedWithCallbackPending.failed(new JobRecord.JobError(502, "m", "server_error", null, "c"),
                List.of(), t.plusSeconds(8));
        store.save(failed).join();

        JobStore reopened = open(kind);
        assertEquals(List.of(accepted, newer, failed), reopened.loadActive());
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "redis"})
    void aBatch_readsBackEqual(String kind) throws Exception {
        JobStore store = open(kind);
        BatchRecord batch = new BatchRecord(JobService.newId("batch"), "blog", Instant.parse("2026-12-06T10:00:00Z"),
                List.of(JobService.newId("job"), JobService.newId("job")));
        store.saveBatch(batch).join();
        assertEquals(Optional.of(batch), store.loadBatch(batch.id()));
        assertTrue(store.loadBatch(JobService.newId("batch")).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "redis"})
    void settledJobs_goAfterTheirRetention_unsettledOnesNever(String kind) throws Exception {
        JobStore store = open(kind);
        Instant now = Instant.now();
        JobRecord settled = queued(JobService.newId("job"), now);
        JobRecord unsettled = queued(JobService.newId("job"), now);
        store.create(List.of(settled, unsettled), 10).join();
        store.save(settled.cancelled(now).callback(new JobRecord.Callback("https://h.example.com/x",
                JobRecord.Callback.DELIVERED, List.of()), now)).join();
        store.save(unsettled.failed(new JobRecord.JobError(502, "m", "server_error", null, "c"), List.of(), now)).join();
        assertTrue(store.load(settled.id()).isPresent());
        pastRetention(store, settled.id());
        assertTrue(store.load(settled.id()).isEmpty());
        assertTrue(store.load(unsettled.id()).isPresent(), "a job whose callback is pending is never forgotten");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "redis"})
    void idsOutsideTheFormat_areNeverLookedUp(String kind) throws Exception {
        JobStore store = open(kind);
        assertTrue(store.load("../../etc/passwd").isEmpty());
        assertTrue(store.load("job_XYZ").isEmpty());
        assertTrue(store.loadBatch("batch_/..").isEmpty());
    }
}
