package dev.imagerouter.cache;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code Idempotency-Key}: a retried no-cache request is not paid for twice; a reused key with another request is refused. */
@MicronautTest
class IdempotencyKeyTest extends SandboxHttpTest {

    @Test
    void retriedNoCacheRequestWithTheSameKey_replaysTheFirstResult_withoutASecondGeneration() {
        String body = "{\"prompt\":\"idempotent " + UUID.randomUUID() + "\"}";
        String key = "job-" + UUID.randomUUID();

        ApiClient.Response first = api.generate(body, "Cache-Control", "no-cache", "Idempotency-Key", key);
        ApiClient.Response retry = api.generate(body, "Cache-Control", "no-cache", "Idempotency-Key", key);

        assertEquals(200, first.status(), first.text());
        assertEquals(200, retry.status(), retry.text());
        assertEquals(first.data(), retry.data());
        assertEquals("HIT", retry.header("X-Router-Cache"));
        assertEquals(1, stats.leonardoCreates());
        // a different key is a new, deliberate generation
        api.generate(body, "Cache-Control", "no-cache", "Idempotency-Key", key + "-b");
        assertEquals(2, stats.leonardoCreates());
    }

    @Test
    void sameKeyWithAnotherRequest_is422_andCallsNoProvider() {
        String key = "job-" + UUID.randomUUID();
        api.generate("{\"prompt\":\"first " + UUID.randomUUID() + "\"}", "Idempotency-Key", key);
        stats.reset();

        ApiClient.Response r = api.generate("{\"prompt\":\"second " + UUID.randomUUID() + "\"}", "Idempotency-Key", key);

        assertEquals(422, r.status(), r.text());
        assertEquals("idempotency_key_reused", r.error().get("code"));
        assertEquals("Idempotency-Key", r.error().get("param"));
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
    }

    @Test
    void aFailedGeneration_forgetsItsKey_soTheRetryGeneratesAgain() {
        String body = "{\"prompt\":\"idempotent failure " + UUID.randomUUID() + "\"}";
        String key = "job-" + UUID.randomUUID();
        ApiClient.Response failed = api.generate(body, "Idempotency-Key", key, "X-Sandbox-Fault", "leonardo=failed,openai=500");
        assertEquals(502, failed.status());

        ApiClient.Response retry = api.generate(body, "Idempotency-Key", key);

        assertEquals(200, retry.status(), retry.text());
        assertEquals("MISS", retry.header("X-Router-Cache"));
    }
}
