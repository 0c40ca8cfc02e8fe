package dev.imagerouter.api;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-client limits and Idempotency-Keys shared through a real Redis (REDIS_URI): what another
 * replica counted or bound (written into Redis as its scripts do) holds for this one too, and what
 * this one counts lands in Redis. The client is the anonymous one of open sandbox mode.
 */
@MicronautTest
class SharedClientStateHttpTest extends SandboxHttpTest {

    private static final RedisServer REDIS = RedisServer.forTestClass();
    private static final String PREFIX = "clients-test:";

    @AfterAll
    static void stopRedis() throws Exception {
        REDIS.close();
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("redis.uri", REDIS.uri());
        p.put("router.redis.key-prefix", PREFIX);
        p.put("router.auth.limits.requests-per-minute", "5");
        p.put("router.auth.limits.images-per-day", "4");
    }

    @BeforeEach
    void emptyRedis() {
        REDIS.with(r -> r.flushall());
        await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/health/readiness").text().contains("\"state\":\"up\""));
        REDIS.with(r -> r.flushall()); // the readiness polls above counted as requests
    }

    private static String body(String prompt) {
        return "{\"prompt\":\"" + prompt + "\"}";
    }

    @Test
    void requestsCountedByAnotherReplica_countHereToo_andOverTheLimitIs429WithRetryAfter() {
        REDIS.with(r -> r.set(PREFIX + "clients:anonymous:requests", "5", io.lettuce.core.SetArgs.Builder.px(30_000)));
        ApiClient.Response refused = api.generate(body(prompt("over the minute")));
        assertEquals(429, refused.status(), refused.text());
        assertEquals("rate_limit_exceeded", refused.error().get("code"));
        long retryAfter = Long.parseLong(refused.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 30, "Retry-After " + retryAfter);
        assertEquals(0, stats.leonardoCreates());

        REDIS.with(r -> r.del(PREFIX + "clients:anonymous:requests"));
        ApiClient.Response next = api.generate(body(prompt("a new window")));
        assertEquals(200, next.status(), next.text() + "\n" + REDIS.log());
        assertEquals("1", REDIS.with(r -> r.get(PREFIX + "clients:anonymous:requests")), "this replica's request is counted in Redis");
    }

    @Test
    void imagesReservedByAnotherReplica_countAgainstTheDailyAllowance_andAFailedGenerationGivesItsImagesBack() {
        String key = PREFIX + "clients:anonymous:images:" + LocalDate.now(ZoneOffset.UTC);
        REDIS.with(r -> r.set(key, "3"));
        ApiClient.Response two = api.generate("{\"prompt\":\"" + prompt("two images") + "\",\"n\":2}");
        assertEquals(429, two.status(), two.text());
        assertEquals("daily_image_limit_exceeded", two.error().get("code"));

        ApiClient.Response failed = api.generate(body(prompt("fails everywhere")), "X-Sandbox-Fault", "leonardo=moderation");
        assertEquals(400, failed.status(), failed.text());
        assertEquals("3", REDIS.with(r -> r.get(key)), "the failed generation's image is given back");
        assertEquals(200, api.generate(body(prompt("the last one"))).status());
        assertEquals("4", REDIS.with(r -> r.get(key)));
    }

    @Test
    void aKeyBoundByAnotherReplicaToAnotherRequest_is422_andAReplayWaitsForTheFirstRequestThenAnswersItsResult() {
        String prompt = prompt("keyed");
        ApiClient.Response first = api.generate(body(prompt));
        assertEquals(200, first.status(), first.text());
        String hash = (String) first.router().get("request_hash");
        long creates = stats.leonardoCreates();

        REDIS.with(r -> r.set(PREFIX + "idem::key-of-another-request", "0".repeat(64) + "|done"));
        ApiClient.Response reused = api.generate(body(prompt), "Idempotency-Key", "key-of-another-request");
        assertEquals(422, reused.status(), reused.text());
        assertEquals("idempotency_key_reused", reused.error().get("code"));

        // another replica's first request with this key is still running: a no-cache retry here waits for it
        REDIS.with(r -> r.set(PREFIX + "idem::retry-key", hash + "|pending"));
        CompletableFuture<ApiClient.Response> retry = CompletableFuture.supplyAsync(
                () -> api.generate(body(prompt), "Idempotency-Key", "retry-key", "Cache-Control", "no-cache"));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !retry.isDone());
        REDIS.with(r -> r.set(PREFIX + "idem::retry-key", hash + "|done"));
        ApiClient.Response replayed = retry.join();
        assertEquals(200, replayed.status(), replayed.text());
        assertEquals("HIT", replayed.header("X-Router-Cache"));
        assertEquals(first.data().get(0).get("url"), replayed.data().get(0).get("url"));
        assertEquals(creates, stats.leonardoCreates(), "no generation for the replay, no-cache or not");

        ApiClient.Response fresh = api.generate(body(prompt("a new key")), "Idempotency-Key", "new-key-" + UUID.randomUUID());
        assertEquals(200, fresh.status());
        assertTrue(REDIS.with(r -> r.keys(PREFIX + "idem::new-key-*")).stream()
                .allMatch(k -> REDIS.with(r -> r.get(k)).endsWith("|done")), "bound in Redis for the other replicas");
    }
}
