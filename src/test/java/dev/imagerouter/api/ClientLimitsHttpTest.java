package dev.imagerouter.api;

import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.ApiClient;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #7 acceptance, per-client limits over HTTP: 429 in the OpenAI shape with Retry-After; the client name as cache namespace. */
@MicronautTest
class ClientLimitsHttpTest extends SandboxHttpTest {

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.auth.api-keys", "burst:burst-key-00000000000001,daily:daily-key-00000000000002,"
                + "failing:failing-key-0000000000003,ns-a:ns-a-key-00000000000004,ns-b:ns-b-key-00000000000005,"
                + "quiet:quiet-key-0000000000006,refused:refused-key-000000000007");
        p.put("router.auth.limits.requests-per-minute", "4");
        p.put("router.auth.limits.images-per-day", "5");
        p.put("router.cache.per-client", "true");
    }

    private static String body(int n) {
        return "{\"prompt\":\"a paper boat " + UUID.randomUUID() + "\",\"size\":\"256x256\",\"n\":" + n + "}";
    }

    @Test
    void fifthRequestInAMinute_is429WithRetryAfter_andOtherClientsAreUnaffected() {
        for (int i = 0; i < 4; i++) {
            assertEquals(400, api.generate("{}", "Authorization", "Bearer burst-key-00000000000001").status());
        }
        ApiClient.Response r = api.generate(body(1), "Authorization", "Bearer burst-key-00000000000001");

        assertEquals(429, r.status(), r.text());
        assertEquals("rate_limit_exceeded", r.error().get("code"));
        assertEquals("requests", r.error().get("type"));
        assertTrue(r.error().containsKey("param"));
        long retryAfter = Long.parseLong(r.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
        assertEquals(400, api.generate("{}", "Authorization", "Bearer quiet-key-0000000000006").status());
    }

    @Test
    void imagesPerDay_isTheSumOfN_andOverItIs429UntilMidnight() {
        String key = "Bearer daily-key-00000000000002";
        assertEquals(200, api.generate(body(2), "Authorization", key).status());
        assertEquals(200, api.generate(body(2), "Authorization", key).status());
        ApiClient.Response over = api.generate(body(2), "Authorization", key);

        assertEquals(429, over.status(), over.text());
        assertEquals("daily_image_limit_exceeded", over.error().get("code"));
        long retryAfter = Long.parseLong(over.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 86_400, "Retry-After " + retryAfter);
        // the fifth image still fits
        assertEquals(200, api.generate(body(1), "Authorization", key).status());
    }

    @Test
    void failedGeneration_doesNotUseTheDailyAllowance() {
        String key = "Bearer failing-key-0000000000003";
        ApiClient.Response failed = api.generate(body(4), "Authorization", key, "X-Sandbox-Fault", "leonardo=failed,openai=moderation");
        assertTrue(failed.status() >= 400, failed.text());

        ApiClient.Response ok = api.generate(body(4), "Authorization", key);
        assertEquals(200, ok.status(), ok.text());
    }

    @Test
    void requestNoProviderCanServe_doesNotUseTheDailyAllowance() {
        String key = "Bearer refused-key-000000000007";
        String transparent = "{\"prompt\":\"a paper boat " + UUID.randomUUID() + "\",\"n\":4,\"background\":\"transparent\"}";
        assertEquals(400, api.generate(transparent, "Authorization", key).status());
        assertEquals(400, api.generate(transparent, "Authorization", key).status());

        ApiClient.Response ok = api.generate(body(4), "Authorization", key);
        assertEquals(200, ok.status(), ok.text());
    }

    @Test
    void clientName_isTheCacheNamespace_whenCacheIsPerClient() {
        String b = body(1);
        ApiClient.Response a = api.generate(b, "Authorization", "Bearer ns-a-key-00000000000004");
        ApiClient.Response again = api.generate(b, "Authorization", "Bearer ns-a-key-00000000000004");
        ApiClient.Response other = api.generate(b, "Authorization", "Bearer ns-b-key-00000000000005");

        assertEquals(200, a.status(), a.text());
        assertEquals("HIT", again.header("X-Router-Cache"));
        assertEquals("MISS", other.header("X-Router-Cache"));
        assertNotEquals(a.router().get("request_hash"), other.router().get("request_hash"));
    }
}
