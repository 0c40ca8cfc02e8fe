package dev.imagerouter.jobs;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.SharedStateUnavailableException;
import dev.imagerouter.settings.ClusterSettings;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.vocabulary.Secret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static dev.imagerouter.jobs.JobStoreContractTest.queued;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What only the Redis job store does, against a real {@code redis-server} and three replicas (three
 * connections with their own replica ids): the takeover of a replica whose lease expired (exactly
 * one claimer per job, nothing taken while the lease lives, the old owner's writes refused), a cancel
 * from another replica that the owner's next write hears, and Redis going away (a save waits and is
 * written back when Redis returns without its data; a create fails at once; the data epoch changes).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisJobStoreTest {

    private static final Duration SHORT_LEASE = Duration.ofSeconds(2);

    private RedisServer redis;
    private ScheduledExecutorService scheduler;
    private final List<Cluster> clusters = new ArrayList<>();

    @BeforeAll
    void startRedis() throws Exception {
        redis = RedisServer.onFreePort();
        scheduler = Executors.newScheduledThreadPool(2);
    }

    @AfterAll
    void stopRedis() throws Exception {
        scheduler.shutdownNow();
        redis.close();
    }

    @BeforeEach
    void redisUp() throws Exception {
        redis.start();
        redis.with(r -> r.flushall());
    }

    @AfterEach
    void closeClusters() {
        clusters.forEach(Cluster::close);
        clusters.clear();
    }

    /** A replica's store: its own connection and id. */
    private RedisJobStore replica(String id) {
        Cluster cluster = Cluster.start(new ClusterSettings(Optional.of(Secret.of(redis.uri())), "t:", Optional.of(id),
                Duration.ofMillis(500), Duration.ofSeconds(15), Duration.ofMinutes(1)), scheduler, new SimpleMeterRegistry());
        clusters.add(cluster);
        await().atMost(Duration.ofSeconds(10)).until(cluster::up);
        return new RedisJobStore(cluster, ObjectMapper.getDefault(), () -> Duration.ofMinutes(5), SHORT_LEASE, Instant.now());
    }

    private static List<JobRecord> jobs(int n) {
        List<JobRecord> jobs = new ArrayList<>();
        Instant t = Instant.now();
        for (int i = 0; i < n; i++) {
            jobs.add(queued(JobService.newId("job"), t.plusMillis(i)));
        }
        return jobs;
    }

    @Test
    void theJobsOfAReplicaWhoseLeaseExpired_areClaimedOnce_oldestFirst_andItsLaterWritesAreRefused() throws Exception {
        RedisJobStore a = replica("replica-a");
        RedisJobStore b = replica("replica-b");
        RedisJobStore c = replica("replica-c");
        List<JobRecord> created = jobs(12);
        a.create(created, 100).join();
        assertTrue(b.claimOrphans().isEmpty(), "nothing is taken while replica-a's lease lives");

        // replica-a stops renewing (as a killed process does): its lease expires
        await().atMost(Duration.ofSeconds(10)).until(() -> redis.with(r -> r.exists("t:jobs:lease:replica-a")) == 0);
        CompletableFuture<List<RedisJobStore.Claimed>> byB = CompletableFuture.supplyAsync(b::claimOrphans);
        CompletableFuture<List<RedisJobStore.Claimed>> byC = CompletableFuture.supplyAsync(c::claimOrphans);
        List<String> claimedByB = ids(byB.join());
        List<String> claimedByC = ids(byC.join());

        Set<String> both = new HashSet<>(claimedByB);
        both.retainAll(claimedByC);
        assertEquals(Set.of(), both, "no job is claimed by two replicas");
        Set<String> all = new HashSet<>(claimedByB);
        all.addAll(claimedByC);
        assertEquals(created.stream().map(JobRecord::id).collect(java.util.stream.Collectors.toSet()), all, "every job is claimed");
        List<String> winner = claimedByB.isEmpty() ? claimedByC : claimedByB;
        assertEquals(created.stream().map(JobRecord::id).toList().subList(0, winner.size()), winner, "oldest first");
        byB.join().forEach(claimed -> assertEquals("replica-a", claimed.from()));

        JobStore.Saved refused = a.save(created.get(0).calling("leonardo-phoenix", Instant.now())).join();
        assertInstanceOf(JobStore.Saved.Lost.class, refused);
        assertEquals(created.get(0), b.load(created.get(0).id()).orElseThrow(), "the refused write changed nothing");
        RedisJobStore owner = claimedByB.contains(created.get(0).id()) ? b : c;
        assertEquals(JobStore.Saved.KEPT, owner.save(created.get(0).calling("leonardo-phoenix", Instant.now())).join());
        assertTrue(b.claimOrphans().isEmpty() && c.claimOrphans().isEmpty(), "claimed jobs are not claimed again");
    }

    private static List<String> ids(List<RedisJobStore.Claimed> claimed) {
        return claimed.stream().flatMap(c -> c.jobs().stream()).map(JobRecord::id).toList();
    }

    @Test
    void aQueuedJobCancelledOnAnotherReplica_answersItsOwnersNextWrite_whileOneWhoseCallWasRecordedIsNotCancellable() {
        RedisJobStore owner = replica("replica-a");
        RedisJobStore other = replica("replica-b");
        List<JobRecord> created = jobs(2);
        owner.create(created, 100).join();
        JobRecord waiting = created.get(0);
        JobRecord calling = created.get(1).calling("leonardo-phoenix", Instant.now());
        owner.save(calling).join();

        assertEquals(RedisJobStore.CancelOutcome.NOT_FOUND, other.cancel(waiting.id(), "another-client", Instant.now()).outcome());
        RedisJobStore.Cancel cancelled = other.cancel(waiting.id(), "blog", Instant.now());
        assertEquals(RedisJobStore.CancelOutcome.CANCELLED, cancelled.outcome());
        assertEquals(JobRecord.Status.CANCELLED, other.load(waiting.id()).orElseThrow().status());
        assertEquals(1, other.unfinished(), "a cancelled job is no longer unfinished");
        assertEquals(RedisJobStore.CancelOutcome.NOT_QUEUED, other.cancel(calling.id(), "blog", Instant.now()).outcome());

        // the owner, not having heard it yet, records a call: refused, with the cancelled record to adopt
        JobStore.Saved refused = owner.save(waiting.calling("leonardo-phoenix", Instant.now())).join();
        JobStore.Saved.CancelledElsewhere elsewhere = assertInstanceOf(JobStore.Saved.CancelledElsewhere.class, refused);
        assertEquals(JobRecord.Status.CANCELLED, elsewhere.stored().status());
        assertEquals(JobRecord.Status.CANCELLED, other.load(waiting.id()).orElseThrow().status(), "no call was recorded");
        // having adopted it, the owner records its callback's delivery on the cancelled record
        JobRecord delivered = elsewhere.stored().callback(new JobRecord.Callback("https://hooks.example.com/x",
                JobRecord.Callback.DELIVERED, List.of()), Instant.now());
        assertEquals(JobStore.Saved.KEPT, owner.save(delivered).join());
        assertEquals(delivered, other.load(waiting.id()).orElseThrow());
    }

    @Test
    void redisDown_aSaveWaits_andIsWrittenBackWhenRedisReturnsWithoutItsData_whileACreateFailsAtOnce() throws Exception {
        RedisJobStore store = replica("replica-a");
        JobRecord job = jobs(1).get(0);
        store.create(List.of(job), 100).join();
        String epoch = store.renewLease().join().epoch();

        redis.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> !clusters.get(0).up());
        JobRecord accepted = job.calling("leonardo-phoenix", Instant.now())
                .accepted(new JobRecord.Accepted("leonardo-phoenix", "5d5f1319-bbbb"), Instant.now());
        CompletableFuture<JobStore.Saved> waiting = store.save(accepted);
        CompletionException refused = assertThrows(CompletionException.class, () -> store.create(jobs(1), 100).join());
        assertInstanceOf(SharedStateUnavailableException.class, refused.getCause());
        assertFalse(waiting.isDone(), "a save waits for Redis instead of failing");
        assertEquals(1, store.waiting());

        redis.start(); // empty: nothing was persisted
        await().atMost(Duration.ofSeconds(15)).until(() -> clusters.get(0).up());
        assertNotEquals(epoch, store.renewLease().join().epoch(), "Redis lost its data: a new epoch");
        store.flush();
        assertEquals(JobStore.Saved.KEPT, waiting.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(Optional.of(accepted), store.load(job.id()));
        assertEquals(1, store.unfinished(), "written back into the count of unfinished jobs too");
        assertEquals("replica-a", redis.with(r -> r.hget("t:job:" + job.id(), "owner")), "written back as replica-a's");
    }
}
