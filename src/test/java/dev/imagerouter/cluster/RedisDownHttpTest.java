package dev.imagerouter.cluster;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A router with {@code REDIS_URI} set, against a real {@code redis-server} that is stopped and
 * started again: Redis down is a degraded mode, never an outage. Readiness stays UP (entry
 * {@code redis}, state {@code degraded}), {@code image_router_redis_up} reads 0, requests are
 * answered with per-replica state, and once Redis is back the router uses it again.
 */
@MicronautTest
class RedisDownHttpTest extends SandboxHttpTest {

    private static final RedisServer REDIS = RedisServer.forTestClass();

    @AfterAll
    static void stopRedis() throws Exception {
        REDIS.close();
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("redis.uri", REDIS.uri());
        p.put("router.replica-id", "test-replica");
        p.put("router.redis.timeout", "300ms");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> readinessEntry() {
        ApiClient.Response readiness = api.get("/health/readiness");
        assertEquals(200, readiness.status(), readiness.text());
        return (Map<String, Object>) ((Map<String, Object>) readiness.json().get("details")).get("redis");
    }

    @SuppressWarnings("unchecked")
    private static String state(Map<String, Object> entry) {
        return (String) ((Map<String, Object>) entry.get("details")).get("state");
    }

    @Test
    void redisStopped_readinessStaysUpDegraded_requestsAreServed_andRedisIsUsedAgainOnceBack() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> "up".equals(state(readinessEntry())));
        assertEquals(1.0, api.prometheusSample("image_router_redis_up"));
        assertEquals("test-replica", ((Map<?, ?>) readinessEntry().get("details")).get("replica_id"));
        ApiClient.Response before = api.generate("{\"prompt\":\"" + prompt("redis up") + "\"}");
        assertEquals(200, before.status(), before.text());

        REDIS.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> "degraded".equals(state(readinessEntry())));
        assertEquals("UP", readinessEntry().get("status"));
        assertEquals(200, api.get("/health").status());
        assertEquals(0.0, api.prometheusSample("image_router_redis_up"));
        for (int i = 0; i < 3; i++) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("redis down") + "\"}");
            assertEquals(200, r.status(), r.text());
        }

        REDIS.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> "up".equals(state(readinessEntry())));
        assertEquals(1.0, api.prometheusSample("image_router_redis_up"));
        ApiClient.Response after = api.generate("{\"prompt\":\"" + prompt("redis back") + "\"}");
        assertEquals(200, after.status(), after.text());
        assertTrue(api.get("/health/readiness").text().contains("\"endpoint\":\"redis://127.0.0.1:" + REDIS.port() + "\""));
    }
}
