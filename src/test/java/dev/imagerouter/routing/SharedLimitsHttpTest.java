package dev.imagerouter.routing;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The providers' account-wide limits shared through a real Redis (REDIS_URI): slots and creates that
 * another replica holds (written into Redis as that replica's scripts do) count against this one. A
 * synchronous request that finds no shared slot or permit falls back as with a full bulkhead or
 * limiter; an asynchronous job waits in the queue until another replica frees a slot, or its dead
 * holder's lease expires. Leonardo allows 2 concurrent jobs and 3 creates a minute here.
 */
@MicronautTest
class SharedLimitsHttpTest extends SandboxHttpTest {

    private static final RedisServer REDIS = RedisServer.forTestClass();
    private static final String SLOTS = "limits-test:limits:LEONARDO_API_KEY:slots"; // the account: ProviderConfig.limitKey()
    private static final String CREATES = "limits-test:limits:LEONARDO_API_KEY:creates";

    @AfterAll
    static void stopRedis() throws Exception {
        REDIS.close();
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("redis.uri", REDIS.uri());
        p.put("router.redis.key-prefix", "limits-test:");
        p.put("router.redis.lease-ttl", "1500ms");
        p.put("router.providers.leonardo-phoenix.resilience.max-concurrent-calls", "2");
        p.put("router.providers.leonardo-phoenix.resilience.limit-for-period", "3");
        p.put("router.providers.leonardo-phoenix.resilience.limit-refresh-period", "1m");
    }

    @BeforeEach
    void emptyRedis() {
        REDIS.with(r -> r.flushall());
        await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/health/readiness").text().contains("\"state\":\"up\""));
    }

    /** Another replica holding {@code n} slots until {@code millisFromNow} (Redis's clock). */
    private static void otherReplicaHolds(int n, long millisFromNow) {
        REDIS.with(r -> {
            long now = Long.parseLong(r.time().get(0)) * 1000;
            for (int i = 0; i < n; i++) {
                r.zadd(SLOTS, now + millisFromNow, "replica-other:" + i);
            }
            return null;
        });
    }

    private ApiClient.Response generate(String... headers) {
        return api.generate("{\"prompt\":\"shared limits " + UUID.randomUUID() + "\"}", headers);
    }

    @Test
    void slotsHeldByAnotherReplica_syncRequestFallsBackAsWithAFullBulkhead_thenUsesLeonardoOnceOneIsFreed() {
        otherReplicaHolds(2, 60_000);
        ApiClient.Response full = generate();
        assertEquals(200, full.status(), full.text());
        assertEquals("openai-gpt-image-2", full.router().get("provider"), full.text());
        assertEquals("BULKHEAD_FULL", full.attempts().get(0).get("reason"));
        assertEquals(0, stats.leonardoCreates());

        REDIS.with(r -> r.zrem(SLOTS, "replica-other:0"));
        ApiClient.Response freed = generate();
        assertEquals("leonardo-phoenix", freed.router().get("provider"), freed.text());
        assertEquals(1, stats.leonardoCreates());
        await().atMost(Duration.ofSeconds(5)).until(() -> REDIS.with(r -> r.zcard(SLOTS)) == 1L); // its slot is freed at its end
        assertEquals(Long.valueOf(1), REDIS.<Long>with(r -> r.zcard(CREATES)), "the create stays counted in the window");
    }

    @Test
    void createsOfThePeriodUsedByOtherReplicas_syncRequestFallsBackAsWithAnEmptyRateLimiter() {
        REDIS.with(r -> {
            long now = Long.parseLong(r.time().get(0)) * 1000;
            for (int i = 0; i < 3; i++) {
                r.zadd(CREATES, now - 1_000, "replica-other:create-" + i);
            }
            return null;
        });
        ApiClient.Response limited = generate();
        assertEquals("openai-gpt-image-2", limited.router().get("provider"), limited.text());
        assertEquals("RATE_LIMITER", limited.attempts().get(0).get("reason"));
        assertEquals(0, stats.leonardoCreates());
        assertEquals(Long.valueOf(0), REDIS.<Long>with(r -> r.zcard(SLOTS)), "a refused request holds no slot");
    }

    @Test
    void asyncJob_waitsForTheAccountsSlot_andIsAdmittedWhenADeadReplicasLeaseExpires() {
        otherReplicaHolds(2, 2_000); // a replica that died: its slots are not renewed and expire
        ApiClient.Response created = generate("Prefer", "respond-async");
        assertEquals(202, created.status(), created.text());
        String id = (String) created.json().get("id");
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2))
                .until(() -> "queued".equals(api.get("/v1/images/jobs/" + id).json().get("status")));
        assertEquals(0, stats.leonardoCreates(), "not created while the account's slots are held");
        Map<String, Object> done = await().atMost(Duration.ofSeconds(15)).until(() -> api.get("/v1/images/jobs/" + id).json(),
                j -> "succeeded".equals(j.get("status")) || "failed".equals(j.get("status")));
        assertEquals("succeeded", done.get("status"), done.toString());
        assertEquals("leonardo-phoenix", ((Map<?, ?>) ((Map<?, ?>) done.get("result")).get("router")).get("provider"));
        assertEquals(1, stats.leonardoCreates());
    }

    @Test
    void redisDown_theReplicasOwnLimitsApply_andRequestsAreServed() throws Exception {
        REDIS.stop();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/health/readiness").text().contains("\"state\":\"degraded\""));
            ApiClient.Response r = generate();
            assertEquals(200, r.status(), r.text());
            assertEquals("leonardo-phoenix", r.router().get("provider"), r.text());
            assertTrue(api.prometheusSample("image_router_redis_fallbacks_total", "operation", "provider_limits") >= 1);
        } finally {
            REDIS.start();
        }
    }
}
