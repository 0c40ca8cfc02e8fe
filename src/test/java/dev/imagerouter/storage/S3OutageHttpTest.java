package dev.imagerouter.storage;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.S3Server;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The S3-compatible store goes away (its server stopped) and comes back: once the writability probe
 * (every 100 ms here) has seen it, cache misses are 503 {@code storage_unavailable} in the OpenAI error
 * shape with {@code Retry-After} and no provider call, readiness reports {@code storage} DOWN with S3's
 * problem, a cache hit from memory is still answered, an image URL is 503 (never a 500) while the bucket
 * cannot be read; and all of it recovers by itself when the server is back.
 */
@MicronautTest
class S3OutageHttpTest extends SandboxHttpTest {

    private S3Server s3;
    private AutoCloseable credentials;

    @Override
    protected void properties(Map<String, String> p) {
        try {
            s3 = S3Server.start(); // its own server: this test stops it
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        credentials = S3Server.credentialsInSystemProperties();
        p.putAll(s3.properties());
        p.put("router.storage.probe-interval", "100ms");
    }

    @AfterAll
    void stopS3() throws Exception {
        credentials.close();
        s3.close();
    }

    @Test
    void s3Stopped_missesAre503StorageUnavailableWithoutProviderCall_hitsStillAnswered_thenRecoversByItself() throws Exception {
        // Given a cached generation
        String cachedBody = "{\"prompt\":\"" + prompt("cached before the S3 outage") + "\"}";
        ApiClient.Response cached = api.generate(cachedBody);
        assertEquals(200, cached.status(), cached.text());
        String url = (String) cached.data().get(0).get("url");

        // When the S3 server stops
        s3.stop();
        try {
            awaitReadiness(503);
            stats.reset();

            ApiClient.Response miss = api.generate("{\"prompt\":\"" + prompt("during the S3 outage") + "\"}");
            ApiClient.Response hit = api.generate(cachedBody);
            ApiClient.Response file = api.get(url);

            // Then a miss is refused before any provider is paid, in the OpenAI error shape
            assertEquals(503, miss.status(), miss.text());
            assertEquals("storage_unavailable", miss.error().get("code"));
            assertEquals("server_error", miss.error().get("type"));
            assertNotNull(miss.error().get("message"));
            assertEquals("1", miss.header("Retry-After")); // the probe interval, rounded up to whole seconds
            assertEquals(0, stats.leonardoCreates(), "no provider may be paid while the store cannot keep the images");
            assertEquals(0, stats.openAiGenerates());
            // a hit from memory needs no store: its answer goes out (its URL waits for the store to return)
            assertEquals(200, hit.status(), hit.text());
            assertEquals("HIT", hit.header("X-Router-Cache"));
            // the file cannot be read: 503 storage_unavailable, not a 500 and not a 404
            assertEquals(503, file.status(), file.text());
            assertEquals("storage_unavailable", file.error().get("code"));
            Map<String, Object> storage = storageHealth(api.get("/health/readiness"));
            assertEquals("DOWN", storage.get("status"));
            String problem = String.valueOf(detail(storage, "problem"));
            assertTrue(problem.contains("S3 unreachable"), problem);
            assertFalse(problem.contains(S3Server.SECRET_ACCESS_KEY), problem);
        } finally {
            s3.restart();
        }

        // And once the server is back, everything works again without a restart of the router
        awaitReadiness(200);
        ApiClient.Response after = api.generate("{\"prompt\":\"" + prompt("after the S3 outage") + "\"}");
        assertEquals(200, after.status(), after.text());
        assertEquals(1, stats.leonardoCreates());
        assertEquals(200, api.get(url).status());
        assertEquals(200, api.get((String) after.data().get(0).get("url")).status());
    }

    private void awaitReadiness(int status) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> api.get("/health/readiness").status() == status);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> storageHealth(ApiClient.Response health) {
        assertNotNull(health.json(), health.text());
        Map<String, Object> details = (Map<String, Object>) health.json().get("details");
        assertNotNull(details, health.text());
        Map<String, Object> storage = (Map<String, Object>) details.get("storage");
        assertNotNull(storage, health.text());
        return storage;
    }

    @SuppressWarnings("unchecked")
    static Object detail(Map<String, Object> storage, String name) {
        Map<String, Object> details = (Map<String, Object>) storage.get("details");
        assertNotNull(details, storage.toString());
        return details.get(name);
    }
}
