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
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bucket that can be read but not written (S3Proxy's read-only mode, as after a lost write
 * permission), before the writability probe has noticed (its interval is an hour here): the
 * generation is paid, but its image cannot be stored, so the answer is 503 {@code storage_unavailable}
 * with no URL and nothing is cached; the failed write makes the probe check at once, so the next miss
 * is refused before any provider call.
 */
@MicronautTest
class S3WriteRefusedHttpTest extends SandboxHttpTest {

    private S3Server s3;
    private AutoCloseable credentials;

    @Override
    protected void properties(Map<String, String> p) {
        try {
            s3 = S3Server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        credentials = S3Server.credentialsInSystemProperties();
        p.putAll(s3.properties());
        p.put("router.storage.probe-interval", "1h");
    }

    @AfterAll
    void stopS3() throws Exception {
        credentials.close();
        s3.close();
    }

    @Test
    void imageCannotBeStored_noUrlIsHandedOut_503_andTheNextMissIsRefusedBeforePaying() throws Exception {
        // Given a store that answered the startup probe, then lost its write permission
        assertEquals(200, api.get("/health/readiness").status());
        s3.restartReadOnly();

        // When a generation's image is to be stored
        String body = "{\"prompt\":\"" + prompt("nowhere to keep it") + "\"}";
        ApiClient.Response r = api.generate(body);

        // Then the provider was called (paid), but the answer is 503 storage_unavailable without a URL
        assertEquals(503, r.status(), r.text());
        assertEquals("storage_unavailable", r.error().get("code"));
        assertNull(r.json().get("data"), r.text());
        assertEquals(1, stats.leonardoCreates());
        assertEquals(List.of(), s3.keys(S3Server.BUCKET, "images/"));

        // And the failed write made the probe check at once: readiness is DOWN, the next miss is refused unpaid
        await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/health/readiness").status() == 503);
        Map<String, Object> storage = S3OutageHttpTest.storageHealth(api.get("/health/readiness"));
        assertTrue(String.valueOf(S3OutageHttpTest.detail(storage, "problem")).contains("S3 answered"), storage.toString());
        stats.reset();
        ApiClient.Response again = api.generate(body);
        assertEquals(503, again.status(), again.text());
        assertEquals("storage_unavailable", again.error().get("code"));
        assertEquals(0, stats.leonardoCreates());
        assertEquals(0, stats.openAiGenerates());
    }
}
