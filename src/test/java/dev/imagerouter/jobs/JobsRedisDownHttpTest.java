package dev.imagerouter.jobs;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Asynchronous jobs with {@code REDIS_URI} set while {@code redis-server} is stopped and started
 * again (empty: it persists nothing), and a job this replica queued that another replica took over
 * meanwhile. One Leonardo slot (concurrency 1, each job ~1 s) so that jobs
 * queue behind each other. Never a 5xx because of Redis: a job created while Redis is down is kept in
 * this replica's file store and finishes there; a Redis job already running finishes from memory and
 * is written back when Redis returns; a Redis job whose provider call would start while Redis is down
 * waits off the queue (it cannot record the call where other replicas read it) and runs once Redis
 * is back, without holding up the file-store job behind it. No Leonardo job is created twice.
 */
@MicronautTest
class JobsRedisDownHttpTest extends SandboxHttpTest {

    private static final RedisServer REDIS = RedisServer.forTestClass();

    @AfterAll
    static void stopRedis() throws Exception {
        REDIS.close();
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("redis.uri", REDIS.uri());
        p.put("router.replica-id", "down-test");
        p.put("router.redis.timeout", "300ms");
        p.put("router.jobs.lease-ttl", "2s");
        p.put("router.jobs.lease-renew", "300ms");
        p.put("router.jobs.max-wait", "60s");
        p.put("router.sandbox.pending-min", "1s");
        p.put("router.sandbox.pending-max", "1s");
        p.put("router.providers.leonardo-phoenix.resilience.max-concurrent-calls", "1");
        p.put("router.providers.leonardo-phoenix.timeout", "20s"); // no TIMEOUT fallback on a loaded machine
    }

    private String create(String what) {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt(what) + "\"}", "Prefer", "respond-async");
        assertEquals(202, r.status(), r.text());
        return (String) r.json().get("id");
    }

    private String status(String id) {
        ApiClient.Response r = api.get("/v1/images/jobs/" + id);
        assertEquals(200, r.status(), r.text());
        return (String) r.json().get("status");
    }

    private static String inRedis(String id) {
        return REDIS.with(r -> r.hget("image-router:job:" + id, "record"));
    }

    @Test
    void redisStopped_newJobsAreAccepted_andFinishInTheFileStore_runningOnesAreWrittenBack_andNoneIsCreatedTwice() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> api.prometheusSample("image_router_redis_up") == 1.0);
        String running = create("running when redis stops");
        await().atMost(Duration.ofSeconds(10)).until(() -> stats.leonardoCreates() == 1);
        String waiting = create("queued when redis stops");
        assertTrue(inRedis(running).contains("\"job_id\""), "the accepted job's id is in Redis: " + inRedis(running));
        assertTrue(inRedis(waiting).contains("\"queued\""), inRedis(waiting));

        REDIS.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> api.prometheusSample("image_router_redis_up") == 0.0);
        double fallbacksBefore = api.prometheusSample("image_router_redis_fallbacks_total", "operation", "jobs");
        String local = create("created while redis is down");
        assertTrue(api.prometheusSample("image_router_redis_fallbacks_total", "operation", "jobs") > fallbacksBefore);
        assertEquals(404, api.get("/v1/images/jobs/" + JobService.newId("job")).status(), "an unknown job: 404, not 5xx");

        // the file-store job finishes while Redis is still down: the queued Redis job does not hold the slot
        await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(status(local)));
        assertEquals("succeeded", status(running), "finished from memory");
        assertEquals("queued", status(waiting), "its call waits for Redis");
        assertEquals(2, stats.leonardoCreates());
        Path jobsDir = Path.of(property("router.storage.dir")).resolve("jobs");
        assertTrue(Files.exists(jobsDir.resolve("done").resolve(local + ".json")), "kept in this replica's file store");

        REDIS.start(); // without its data
        await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(status(waiting)));
        await().atMost(Duration.ofSeconds(10)).until(() -> inRedis(running) != null && inRedis(running).contains("\"succeeded\""));
        assertTrue(inRedis(waiting).contains("\"succeeded\""), inRedis(waiting));
        assertNull(inRedis(local), "a file-store job stays there");
        assertEquals("succeeded", status(local));
        assertEquals(3, stats.leonardoCreates());
        assertEquals(0, stats.leonardoRepeatedCreates());
        assertEquals(0, stats.openAiGenerates());
    }

    @Test
    void aQueuedJobTakenOverByAnotherReplica_makesNoCallHere_andStopsHere() {
        await().atMost(Duration.ofSeconds(30)).until(() -> api.prometheusSample("image_router_redis_up") == 1.0);
        try (LogCapture logs = new LogCapture()) {
            String running = create("holds the slot");
            await().atMost(Duration.ofSeconds(10)).until(() -> stats.leonardoCreates() == 1);
            String queued = create("taken over meanwhile");
            // Given replica-z, alive, owns the queued job now (as after a takeover while this replica's lease had lapsed)
            REDIS.with(r -> {
                r.set("image-router:jobs:lease:replica-z", "1", io.lettuce.core.SetArgs.Builder.px(60_000));
                r.hset("image-router:job:" + queued, "owner", "replica-z");
                r.zrem("image-router:jobs:owned:down-test", queued);
                r.zadd("image-router:jobs:owned:replica-z", 1.0, queued);
                return r.sadd("image-router:jobs:owners", "replica-z");
            });
            // When the slot frees and the job would record its call
            await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(status(running)));
            await().atMost(Duration.ofSeconds(10)).until(() -> logs.lines().stream()
                    .anyMatch(l -> l.contains("job " + queued + " is run by replica replica-z now")));
            // Then it was not called here, and its record is as replica-z keeps it
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> stats.leonardoCreates() == 1);
            assertEquals(0, stats.openAiGenerates());
            assertEquals("queued", status(queued));
            assertEquals("replica-z", REDIS.with(r -> r.hget("image-router:job:" + queued, "owner")));
        }
    }

    @Test
    void afterThisReplicasLeaseLapsed_itTakesNothingOverForALeaseTtl_soLiveReplicasCanRenewTheirs() {
        await().atMost(Duration.ofSeconds(30)).until(() -> api.prometheusSample("image_router_redis_up") == 1.0);
        try (LogCapture logs = new LogCapture()) {
            String running = create("holds the slot again");
            String queued = create("owned by a replica cut off with this one");
            // Given replica-y owns the queued job, its lease still there
            REDIS.with(r -> {
                r.set("image-router:jobs:lease:replica-y", "1", io.lettuce.core.SetArgs.Builder.px(60_000));
                r.hset("image-router:job:" + queued, "owner", "replica-y");
                r.zrem("image-router:jobs:owned:down-test", queued);
                r.zadd("image-router:jobs:owned:replica-y", 1.0, queued);
                return r.sadd("image-router:jobs:owners", "replica-y");
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(status(running)));
            // When an outage longer than the TTL ends: this replica finds its own lease gone ...
            REDIS.with(r -> r.del("image-router:jobs:lease:down-test"));
            await().atMost(Duration.ofSeconds(10)).until(() -> logs.lines().stream()
                    .anyMatch(l -> l.contains("this replica's lease had expired")));
            // ... and so does every other replica, which has not renewed yet
            REDIS.with(r -> r.del("image-router:jobs:lease:replica-y"));
            // Then for a while replica-y's job stays replica-y's (it may be alive and about to renew) ...
            await().during(Duration.ofMillis(1000)).atMost(Duration.ofSeconds(2))
                    .until(() -> "replica-y".equals(REDIS.with(r -> r.hget("image-router:job:" + queued, "owner"))));
            // ... and once lease-ttl has passed without a renewal, replica-y is dead: its job is taken over and runs
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> "down-test".equals(REDIS.with(r -> r.hget("image-router:job:" + queued, "owner"))));
            await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(status(queued)));
        }
    }
}
