package dev.imagerouter.storage;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.annotation.MockBean;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store that cannot be written: once the writability probe (every 100 ms here) has seen it, cache
 * misses are refused with 503 {@code storage_unavailable} in the OpenAI shape, with Retry-After and
 * without any provider call; cache hits whose files are readable are still served; readiness is
 * DOWN; and everything recovers by itself when the store is writable again.
 */
@MicronautTest
class StorageFailureHttpTest extends SandboxHttpTest {

    /** The real disk, except that forcing fails while {@code failing} is set (a disk reporting EIO). */
    private static final class SwitchableSync implements FileSync {
        volatile boolean failing;

        @Override
        public void force(FileChannel channel, Path file) throws IOException {
            if (failing) {
                throw new IOException("simulated I/O error");
            }
            FileSync.DEFAULT.force(channel, file);
        }

        @Override
        public void forceDirectory(Path directory) throws IOException {
            if (failing) {
                throw new IOException("simulated I/O error");
            }
            FileSync.DEFAULT.forceDirectory(directory);
        }
    }

    private final SwitchableSync sync = new SwitchableSync();

    @MockBean(FileSync.class)
    FileSync fileSync() {
        return sync;
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.storage.probe-interval", "100ms");
    }

    @Test
    void storeDirectoryReplacedByAFile_noProviderCalled_503StorageUnavailable_thenRecoversByItself() throws IOException {
        Path dir = Path.of(property("router.storage.dir"));
        String body = "{\"prompt\":\"" + prompt("unwritable store") + "\"}";
        Path away = dir.resolveSibling(dir.getFileName() + "-moved");
        Files.move(dir, away, StandardCopyOption.ATOMIC_MOVE); // one step: the probe may be writing in it
        Files.writeString(dir, "not a directory"); // every write under the store now fails, even as root
        try {
            awaitReadiness(503);
            stats.reset();

            ApiClient.Response r = api.generate(body);

            assertEquals(503, r.status(), r.text());
            assertEquals("storage_unavailable", r.error().get("code"));
            assertEquals("server_error", r.error().get("type"));
            assertNotNull(r.header("Retry-After"));
            assertEquals(0, stats.leonardoCreates(), "no provider may be paid while the store cannot keep the images");
            assertEquals(0, stats.openAiGenerates());
            Map<String, Object> storage = storageHealth(api.get("/health/readiness"));
            assertEquals("DOWN", storage.get("status"));
            assertEquals(false, detail(storage, "writable"));
            assertTrue(String.valueOf(detail(storage, "problem")).contains("Not a directory"), storage.toString());
        } finally {
            Files.delete(dir);
            Files.move(away, dir, StandardCopyOption.ATOMIC_MOVE);
        }
        awaitReadiness(200);
        ApiClient.Response again = api.generate(body);
        assertEquals(200, again.status(), again.text());
        assertEquals("MISS", again.header("X-Router-Cache"));
        assertEquals(1, stats.leonardoCreates());
        assertEquals(200, api.get((String) again.data().get(0).get("url")).status());
    }

    @Test
    void probeFailing_cacheHitsStillServed_missesRefusedWithoutProviderCall_recoveryByItself() {
        String cachedBody = "{\"prompt\":\"" + prompt("cached before the outage") + "\"}";
        assertEquals(200, api.generate(cachedBody).status());
        sync.failing = true;
        try {
            awaitReadiness(503);
            stats.reset();

            ApiClient.Response hit = api.generate(cachedBody);
            ApiClient.Response miss = api.generate("{\"prompt\":\"" + prompt("during the outage") + "\"}");

            assertEquals(200, hit.status(), hit.text());
            assertEquals("HIT", hit.header("X-Router-Cache"));
            assertEquals(200, api.get((String) hit.data().get(0).get("url")).status());
            assertEquals(503, miss.status(), miss.text());
            assertEquals("storage_unavailable", miss.error().get("code"));
            assertEquals("1", miss.header("Retry-After")); // the probe interval, rounded up to whole seconds
            assertEquals(0, stats.leonardoCreates());
            assertEquals(0, stats.openAiGenerates());
            assertEquals(0.0, writableGauge(), 0.0);
        } finally {
            sync.failing = false;
        }
        awaitReadiness(200);
        assertEquals(1.0, writableGauge(), 0.0);
        ApiClient.Response after = api.generate("{\"prompt\":\"" + prompt("after the outage") + "\"}");
        assertEquals(200, after.status(), after.text());
        assertEquals(1, stats.leonardoCreates());
    }

    /** {@code image_router_storage_writable}, a gauge without labels. */
    private double writableGauge() {
        for (String line : api.get("/prometheus").text().split("\n")) {
            if (line.startsWith("image_router_storage_writable ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no sample image_router_storage_writable");
    }

    private void awaitReadiness(int status) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> api.get("/health/readiness").status() == status);
        if (status == 200) {
            assertEquals("UP", storageHealth(api.get("/health/readiness")).get("status"));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> storageHealth(ApiClient.Response health) {
        assertNotNull(health.json(), health.text());
        Map<String, Object> details = (Map<String, Object>) health.json().get("details");
        assertNotNull(details, health.text());
        Map<String, Object> storage = (Map<String, Object>) details.get("storage");
        assertNotNull(storage, health.text());
        return storage;
    }

    @SuppressWarnings("unchecked")
    private static Object detail(Map<String, Object> storage, String name) {
        Map<String, Object> details = (Map<String, Object>) storage.get("details");
        assertFalse(details == null, storage.toString());
        return details.get(name);
    }
}
