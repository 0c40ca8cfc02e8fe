package dev.imagerouter.cache;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code Idempotency-Key}s are kept per client, over real HTTP against the sandbox emulators: with
 * {@code router.cache.idempotency-keys-per-client} 3, a client sending many keys does not evict
 * another client's key.
 */
@MicronautTest
class IdempotencyKeysPerClientHttpTest extends SandboxHttpTest {

    private static final String A = "Bearer keys-a-key-000000000001";
    private static final String B = "Bearer keys-b-key-000000000002";

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.auth.api-keys", "keys-a:keys-a-key-000000000001,keys-b:keys-b-key-000000000002");
        p.put("router.cache.idempotency-keys-per-client", "3");
    }

    private static String body() {
        return "{\"prompt\":\"a paper crane " + UUID.randomUUID() + "\",\"size\":\"256x256\"}";
    }

    @Test
    void aClientFillingItsKeys_doesNotEvictAnotherClientsKey() {
        // Given client B's no-cache request under its key
        String bBody = body();
        String bKey = "b-job-" + UUID.randomUUID();
        ApiClient.Response first = api.generate(bBody, "Authorization", B, "Cache-Control", "no-cache", "Idempotency-Key", bKey);
        assertEquals(200, first.status(), first.text());
        assertEquals("MISS", first.header("X-Router-Cache"));

        // When client A sends many more keys than its maximum, each of them more often than B's
        String aBody = body();
        for (int i = 0; i < 20; i++) {
            for (int repeat = 0; repeat < 3; repeat++) {
                ApiClient.Response a = api.generate(aBody, "Authorization", A, "Idempotency-Key", "a-job-" + i);
                assertEquals(200, a.status(), a.text());
            }
        }
        stats.reset();

        // Then B's retry still replays B's first result, without a provider call
        ApiClient.Response retry = api.generate(bBody, "Authorization", B, "Cache-Control", "no-cache", "Idempotency-Key", bKey);
        assertEquals(200, retry.status(), retry.text());
        assertEquals("HIT", retry.header("X-Router-Cache"));
        assertEquals(first.data(), retry.data());
        assertEquals(first.json().get("created"), retry.json().get("created"));
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates(), "provider calls");
    }

    @Test
    void aClientPastItsMaximum_forgetsItsOwnOldKeys() {
        // A's first key, then many newer keys used more often: A's own bound forgets the first
        String body = body();
        String firstKey = "a-first-" + UUID.randomUUID();
        ApiClient.Response first = api.generate(body, "Authorization", A, "Cache-Control", "no-cache", "Idempotency-Key", firstKey);
        assertEquals(200, first.status(), first.text());
        for (int i = 0; i < 20; i++) {
            String later = body();
            for (int repeat = 0; repeat < 3; repeat++) {
                ApiClient.Response r = api.generate(later, "Authorization", A, "Idempotency-Key", "a-later-" + i);
                assertEquals(200, r.status(), r.text());
            }
        }
        stats.reset();

        ApiClient.Response retry = api.generate(body, "Authorization", A, "Cache-Control", "no-cache", "Idempotency-Key", firstKey);

        assertEquals(200, retry.status(), retry.text());
        assertEquals("MISS", retry.header("X-Router-Cache"), "the key was forgotten: a new generation");
        assertEquals(1, stats.leonardoCreates());
    }
}
