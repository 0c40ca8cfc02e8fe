package dev.imagerouter.config;

import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.routing.ProviderResilience;
import dev.imagerouter.sandbox.SandboxKeys;
import dev.imagerouter.sandbox.SandboxStats;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.TestConfigDir;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #6: provider swaps by editing files, hot reload, and the admin view. */
class HotReloadTest {

    private TestConfigDir dir;
    private EmbeddedServer server;
    private ApiClient api;
    private SandboxStats stats;

    @BeforeEach
    void start() {
        dir = TestConfigDir.copyOfRepository();
        Map<String, Object> props = new HashMap<>(RouterTestSupport.fastSandbox());
        props.put("router.config-dir", dir.configDir().toString());
        props.put("router.reload.watch", "false");
        server = ApplicationContext.run(EmbeddedServer.class, props);
        api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
        stats = server.getApplicationContext().getBean(SandboxStats.class);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private ApiClient.Response generate() {
        return api.generate("{\"prompt\":\"reload " + UUID.randomUUID() + "\"}");
    }

    private ApiClient.Response reload() {
        return api.post("/admin/reload", "application/json", new byte[0]);
    }

    private static final String CHAIN = "    - leonardo-phoenix\n    - openai-gpt-image-2";
    private static final String OPENAI_FIRST = "    - openai-gpt-image-2\n    - leonardo-phoenix";

    @Test
    void openAiPutFirstAndReloaded_servesTheNextRequest_whileARequestInFlightFinishesOnLeonardo() {
        // Given a request in flight on Leonardo (its PENDING phase lasts 1 s)
        server.getApplicationContext().getBean(dev.imagerouter.sandbox.SandboxState.class).configure(true,
                server.getApplicationContext().getBean(dev.imagerouter.sandbox.SandboxState.class).settings().toBuilder()
                        .pending(java.time.Duration.ofMillis(1000), java.time.Duration.ofMillis(1000)).build());
        CompletableFuture<ApiClient.Response> inFlight = CompletableFuture.supplyAsync(this::generate);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (stats.leonardoCreates() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, stats.leonardoCreates());

        // When the chain is rewritten with OpenAI first and reloaded
        dir.replace(dir.applicationFile(), CHAIN, OPENAI_FIRST);
        ApiClient.Response reloaded = reload();
        assertEquals(200, reloaded.status(), reloaded.text());
        assertEquals(List.of("openai-gpt-image-2", "leonardo-phoenix"), reloaded.json().get("chain"));

        // Then the next request is served by OpenAI first
        ApiClient.Response next = generate();
        assertEquals("openai-gpt-image-2", next.router().get("provider"));
        assertEquals("openai-gpt-image-2", next.attempts().get(0).get("provider"));
        // and the request in flight completes on the chain it started with
        ApiClient.Response first = inFlight.join();
        assertEquals(200, first.status(), first.text());
        assertEquals("leonardo-phoenix", first.router().get("provider"));
    }

    @Test
    void newLeonardoModelFile_putInTheChain_reachesTheEmulatorWithItsModelId() {
        String lucid = TestConfigDir.read(dir.providerFile("leonardo-phoenix"))
                .replace("de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3", "7b592283-e8a7-4c5a-9ba6-d18c31f258b9")
                .replace("alchemy: true", "alchemy: false")
                .replace("contrast: 3.5", "contrast: 3.5");
        dir.write(dir.providerFile("leonardo-lucid-origin"), lucid);
        dir.replace(dir.applicationFile(), CHAIN, "    - leonardo-lucid-origin\n" + CHAIN);

        assertEquals(200, reload().status());
        ApiClient.Response r = generate();

        assertEquals(200, r.status(), r.text());
        assertEquals("leonardo-lucid-origin", r.router().get("provider"));
        assertTrue(stats.leonardoCreateBodies().get(stats.leonardoCreateBodies().size() - 1)
                .contains("\"modelId\":\"7b592283-e8a7-4c5a-9ba6-d18c31f258b9\""), stats.leonardoCreateBodies().toString());
    }

    @Test
    void invalidChain_isRejectedNamingTheEntry_theOldChainKeepsServing_andTheFailureIsCounted() {
        MeterRegistry meters = server.getApplicationContext().getBean(MeterRegistry.class);
        double failuresBefore = meters.get(MetricNames.CONFIG_RELOADS).tag("result", "failure").counter().count();
        dir.replace(dir.applicationFile(), CHAIN, "    - nope");

        ApiClient.Response r = reload();

        assertEquals(422, r.status(), r.text());
        assertFalse((Boolean) r.json().get("applied"));
        assertTrue(r.text().contains("nope"), r.text());
        assertEquals(failuresBefore + 1, meters.get(MetricNames.CONFIG_RELOADS).tag("result", "failure").counter().count());
        ApiClient.Response still = generate();
        assertEquals("leonardo-phoenix", still.router().get("provider"));
    }

    @Test
    void breakerStateOfAnUnchangedProvider_survivesAReload() {
        ProviderResilience resilience = server.getApplicationContext().getBean(ProviderResilience.class);
        CircuitBreaker before = resilience.circuitBreakers().find("leonardo-phoenix").orElseThrow();
        before.transitionToOpenState();

        dir.replace(dir.applicationFile(), "max-entries: 10000", "max-entries: 10001");
        dir.replace(dir.providerFile("openai-gpt-image-2"), "timeout: 120s", "timeout: 90s");
        assertEquals(200, reload().status());

        assertEquals(CircuitBreaker.State.OPEN, resilience.circuitBreakers().find("leonardo-phoenix").orElseThrow().getState());
        ApiClient.Response r = generate();
        assertEquals("CIRCUIT_OPEN", r.attempts().get(0).get("failure_kind"));
    }

    @Test
    void adminViews_showTheChainAndTheConfig_withoutAnyKey() {
        ApiClient.Response chain = api.get("/admin/chain");
        assertEquals(200, chain.status(), chain.text());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> providers = (List<Map<String, Object>>) chain.json().get("providers");
        assertEquals("leonardo-phoenix", providers.get(0).get("name"));
        assertEquals("CLOSED", providers.get(0).get("circuit_breaker"));
        assertTrue(providers.get(0).containsKey("rate_limit_permits"));

        ApiClient.Response config = api.get("/admin/config");
        assertEquals(200, config.status());
        assertTrue(config.text().contains("leonardo-phoenix"));
        assertTrue(config.text().contains("LEONARDO_API_KEY"), "names the key variable");
        for (String secret : List.of(SandboxKeys.LEONARDO_API_KEY, SandboxKeys.OPENAI_API_KEY, "Bearer ")) {
            assertFalse(config.text().contains(secret), "admin config shows a secret");
            assertFalse(chain.text().contains(secret), "admin chain shows a secret");
        }
    }

    @Test
    void maskedKeys_areMaskedAtAnyDepth() {
        Map<String, Object> masked = dev.imagerouter.api.AdminControllerAccess.mask(Map.of("auth",
                Map.of("admin-key", "s3cret", "api-keys", "a:b", "limits", Map.of("requests-per-minute", 5)),
                "api-key-env", "OPENAI_API_KEY"));
        assertEquals("***", ((Map<?, ?>) masked.get("auth")).get("admin-key"));
        assertEquals("***", ((Map<?, ?>) masked.get("auth")).get("api-keys"));
        assertEquals("OPENAI_API_KEY", masked.get("api-key-env"));
    }
}
