package dev.imagerouter.config;

import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.storage.FileSync;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.test.annotation.MockBean;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The probes (README "Shutdown and health"): liveness is UP while the process is not wedged;
 * readiness is DOWN only when this router cannot do its job (the store cannot be written, a shutdown
 * drains it), never because providers are down (it still serves cached images, files and typed
 * errors then); its details say what the router runs and each provider's state. {@code /health}
 * keeps its entries (mode).
 */
@MicronautTest
class HealthHttpTest extends SandboxHttpTest {

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
    private final TestConfigDir dir = TestConfigDir.copyOfRepository();

    @Inject
    RouterRuntime runtime;

    @MockBean(FileSync.class)
    FileSync fileSync() {
        return sync;
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.storage.probe-interval", "100ms");
        p.put("router.config-dir", dir.configDir().toString());
        p.put("router.reload.watch", "false");
    }

    @Test
    void livenessAndReadiness_answer200_onAHealthySandbox_withTheRoutersEntries() {
        ApiClient.Response liveness = api.get("/health/liveness");
        assertEquals(200, liveness.status(), liveness.text());
        assertEquals("UP", liveness.json().get("status"));
        assertFalse(details(liveness).containsKey("storage"), "liveness checks no dependency: " + liveness.text());

        ApiClient.Response readiness = api.get("/health/readiness");
        assertEquals(200, readiness.status(), readiness.text());
        for (String name : List.of("storage", "config", "providers", "shutdown")) {
            assertEquals("UP", entry(readiness, name).get("status"), name + ": " + readiness.text());
        }
        assertEquals(List.of("leonardo-phoenix", "openai-gpt-image-2"), entryDetails(readiness, "config").get("chain"));
        assertEquals("serving", entryDetails(readiness, "shutdown").get("state"));
        Map<String, Object> providers = entryDetails(readiness, "providers");
        assertEquals(2, providers.get("available"));
        Map<String, Object> leonardo = provider(providers, "leonardo-phoenix");
        assertEquals("available", leonardo.get("state"));
        assertEquals("CLOSED", leonardo.get("circuit_breaker"));
        assertEquals("OK", leonardo.get("credit_level"), "the sandbox reports a balance: " + leonardo);
        assertFalse(leonardo.containsKey("credit_balance"), "balances stay on /admin/chain: /health is open");
        assertEquals("disabled", provider(providers, "openai-gpt-image-1").get("state"));

        ApiClient.Response health = api.get("/health");
        assertEquals(200, health.status(), health.text());
        assertEquals("sandbox", entryDetails(health, "mode").get("mode"));
    }

    @Test
    void readiness503_whileTheStoreCannotBeWritten_livenessStays200_and200AgainOnceItCan() {
        sync.failing = true;
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> api.get("/health/readiness").status() == 503);
            ApiClient.Response readiness = api.get("/health/readiness");
            assertEquals("DOWN", entry(readiness, "storage").get("status"), readiness.text());
            assertEquals("UP", entry(readiness, "providers").get("status"));
            assertEquals(200, api.get("/health/liveness").status(), "a restart does not mend a disk");
            assertEquals(503, api.get("/health").status());
        } finally {
            sync.failing = false;
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> api.get("/health/readiness").status() == 200);
        assertEquals(200, api.get("/health").status());
    }

    @Test
    void readinessStays200_withEveryProvidersCircuitOpen_andShowsTheirState() {
        String cachedBody = "{\"prompt\":\"" + prompt("cached before the outage") + "\"}";
        ApiClient.Response cached = api.generate(cachedBody);
        assertEquals(200, cached.status(), cached.text());
        List<ProviderHandle> chain = runtime.chain().providers();
        chain.forEach(p -> p.resilience().circuitBreaker().transitionToOpenState());
        try {
            ApiClient.Response readiness = api.get("/health/readiness");
            assertEquals(200, readiness.status(), readiness.text());
            Map<String, Object> providers = entryDetails(readiness, "providers");
            assertEquals(0, providers.get("available"), readiness.text());
            for (ProviderHandle p : chain) {
                Map<String, Object> state = provider(providers, p.name());
                assertEquals("skipped", state.get("state"), state.toString());
                assertEquals("CIRCUIT_OPEN", state.get("skip_reason"));
                assertEquals("OPEN", state.get("circuit_breaker"));
            }
            // what the router still does with every provider down: typed errors, cached images, files
            ApiClient.Response none = api.generate("{\"prompt\":\"" + prompt("no provider") + "\"}");
            assertEquals(503, none.status(), none.text());
            assertEquals("no_provider_available", none.error().get("code"));
            for (ProviderHandle p : chain) {
                assertTrue(((String) none.error().get("message")).contains(p.name() + ": circuit breaker OPEN"), none.text());
            }
            assertEquals("30", none.header("Retry-After"), "an open circuit stays open for wait-in-open");
            assertEquals(200, api.generate(cachedBody).status());
            assertEquals(200, api.get((String) cached.data().get(0).get("url")).status());
        } finally {
            chain.forEach(p -> p.resilience().circuitBreaker().transitionToClosedState());
        }
    }

    @Test
    void everyProviderBusy_is503_namingTheReasons_andRetryAfterOneSecond() {
        List<ProviderHandle> chain = runtime.chain().providers();
        Map<ProviderHandle, Integer> held = new java.util.HashMap<>();
        try {
            for (ProviderHandle p : chain) {   // hold every concurrent-job slot, as jobs in flight would
                int n = 0;
                while (p.resilience().bulkhead().tryAcquirePermission()) {
                    n++;
                }
                held.put(p, n);
            }
            ApiClient.Response busy = api.generate("{\"prompt\":\"" + prompt("every provider busy") + "\"}");
            assertEquals(503, busy.status(), busy.text());
            assertEquals("no_provider_available", busy.error().get("code"));
            for (ProviderHandle p : chain) {
                assertTrue(((String) busy.error().get("message")).contains(p.name() + ": BULKHEAD_FULL"), busy.text());
            }
            assertEquals("1", busy.header("Retry-After"), "a slot frees when a job ends: retry soon");
        } finally {
            held.forEach((p, n) -> {
                for (int i = 0; i < n; i++) {
                    p.resilience().bulkhead().onComplete();
                }
            });
        }
    }

    @Test
    void readinessStays200_afterARejectedReload_andSaysTheLastGoodConfigurationRuns() {
        Path file = dir.applicationFile();
        String good = TestConfigDir.read(file);
        dir.replace(file, "ttl: 24h", "ttl: whenever");
        try {
            ApiClient.Response rejected = api.post("/admin/reload", "application/json", new byte[0]);
            assertEquals(422, rejected.status(), rejected.text());
            ApiClient.Response readiness = api.get("/health/readiness");
            assertEquals(200, readiness.status(), readiness.text());
            Map<String, Object> config = entryDetails(readiness, "config");
            assertEquals("rejected", config.get("last_reload"), config.toString());
            assertEquals(1, config.get("last_reload_problems"));
            assertEquals("the last good configuration", config.get("running"));
            assertFalse(readiness.text().contains("whenever"), "problem texts stay off the open /health");
        } finally {
            dir.write(file, good);
        }
        assertEquals(200, api.post("/admin/reload", "application/json", new byte[0]).status());
        Map<String, Object> config = entryDetails(api.get("/health/readiness"), "config");
        assertEquals("applied", config.get("last_reload"), config.toString());
        assertTrue(((Number) config.get("chain_version")).longValue() >= 2, config.toString());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> details(ApiClient.Response health) {
        assertNotNull(health.json(), health.text());
        Map<String, Object> details = (Map<String, Object>) health.json().get("details");
        assertNotNull(details, health.text());
        return details;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> entry(ApiClient.Response health, String name) {
        Map<String, Object> entry = (Map<String, Object>) details(health).get(name);
        assertNotNull(entry, name + " in " + health.text());
        return entry;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> entryDetails(ApiClient.Response health, String name) {
        Map<String, Object> details = (Map<String, Object>) entry(health, name).get("details");
        assertNotNull(details, name + " in " + health.text());
        return details;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> provider(Map<String, Object> providers, String name) {
        Map<String, Object> p = (Map<String, Object>) providers.get(name);
        assertNotNull(p, name + " in " + providers);
        return p;
    }
}
