package dev.imagerouter.routing;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * What a router that drains for a shutdown answers (README "Shutdown and health"): nothing new that
 * costs money starts (503 {@code shutting_down} with Retry-After, no provider called), while what
 * costs nothing is still answered: cache hits, Idempotency-Key replays, image files, job reads,
 * liveness. Readiness is DOWN. The signal itself is tried in GracefulShutdownProcessTest; here the
 * drain is started in process, so this class's router drains from that point on (one test).
 */
@MicronautTest
class DrainingHttpTest extends SandboxHttpTest {

    @Inject
    Draining draining;

    @Test
    void whileDraining_newProviderWorkIs503ShuttingDown_whatCostsNothingIsStillServed_readinessIsDown() {
        String cachedBody = "{\"prompt\":\"" + prompt("cached before the drain") + "\"}";
        ApiClient.Response cached = api.generate(cachedBody, "Idempotency-Key", "before-the-drain");
        assertEquals(200, cached.status(), cached.text());
        ApiClient.Response created = api.generate("{\"prompt\":\"" + prompt("job before the drain") + "\"}", "Prefer", "respond-async");
        assertEquals(202, created.status(), created.text());
        String job = (String) created.json().get("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(api.get("/v1/images/jobs/" + job).json().get("status")));
        assertEquals(200, api.get("/health/readiness").status());

        draining.start(Duration.ofSeconds(30));
        stats.reset();

        ApiClient.Response readiness = api.get("/health/readiness");
        assertEquals(503, readiness.status(), readiness.text());
        assertEquals("DOWN", entry(readiness, "shutdown").get("status"));
        assertEquals("draining", details(entry(readiness, "shutdown")).get("state"));
        assertEquals(200, api.get("/health/liveness").status());

        ApiClient.Response miss = api.generate("{\"prompt\":\"" + prompt("new during the drain") + "\"}");
        assertShuttingDown(miss);
        assertNotNull(miss.header("X-Request-Id"));
        assertShuttingDown(api.generate("{\"prompt\":\"" + prompt("streamed during the drain") + "\",\"stream\":true}"));
        assertShuttingDown(api.generate("{\"prompt\":\"" + prompt("async during the drain") + "\"}", "Prefer", "respond-async"));
        assertShuttingDown(api.post("/v1/images/batches", "application/json", ("{\"requests\":[{\"prompt\":\""
                + prompt("batch during the drain") + "\"}]}").getBytes(StandardCharsets.UTF_8)));
        assertShuttingDown(api.generate(cachedBody, "Cache-Control", "no-cache"));
        assertEquals(0, stats.leonardoCreates(), "no provider is called while draining");
        assertEquals(0, stats.openAiGenerates());

        ApiClient.Response hit = api.generate(cachedBody);
        assertEquals(200, hit.status(), hit.text());
        assertEquals("HIT", hit.header("X-Router-Cache"));
        ApiClient.Response replay = api.generate(cachedBody, "Idempotency-Key", "before-the-drain", "Cache-Control", "no-cache");
        assertEquals(200, replay.status(), replay.text());
        assertEquals(200, api.get((String) cached.data().get(0).get("url")).status());
        assertEquals(200, api.get("/v1/images/jobs/" + job).status());
        assertEquals(0, stats.leonardoCreates());
    }

    private static void assertShuttingDown(ApiClient.Response r) {
        assertEquals(503, r.status(), r.text());
        assertEquals("shutting_down", r.error().get("code"), r.text());
        assertEquals("server_error", r.error().get("type"));
        assertEquals("5", r.header("Retry-After"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> entry(ApiClient.Response health, String name) {
        Map<String, Object> details = (Map<String, Object>) health.json().get("details");
        assertNotNull(details, health.text());
        Map<String, Object> entry = (Map<String, Object>) details.get(name);
        assertNotNull(entry, health.text());
        return entry;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> details(Map<String, Object> entry) {
        return (Map<String, Object>) entry.get("details");
    }
}
