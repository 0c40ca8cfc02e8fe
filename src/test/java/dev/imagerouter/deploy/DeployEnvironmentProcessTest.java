package dev.imagerouter.deploy;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router in a JVM of its own with the environment the Deployment gives it: its plain variables
 * (the two container paths moved to this machine, PORT to a free one) plus the Secret's.
 * The Secret template as shipped must stop the start; filled in, the router runs live and the
 * probes and the scrape answer without credentials while client requests need a key.
 */
class DeployEnvironmentProcessTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String CLIENT_KEY = "deploy-client-key-000000000001";

    @TempDir
    Path tmp;

    /** The Deployment's plain variables, with this machine's paths; providers pointed where nothing answers. */
    private Map<String, String> deploymentEnvironment() {
        Map<String, String> env = new HashMap<>(DeployFiles.plainEnv());
        assertEquals("false", env.get("ROUTER_SANDBOX"));
        env.remove("PORT"); // RouterProcess picks a free one
        env.remove("JAVA_OPTS"); // read by bin/image-router, not by the router
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString()); // = the ConfigMaps (DeployManifestsTest)
        env.put("ROUTER_STORAGE_DIR", tmp.resolve("store").toString());
        env.put("ROUTER_RELOAD_WATCH", "false");
        // never reach the real providers with test keys
        env.put("LEONARDO_BASE_URL", "http://127.0.0.1:9/api/rest/v1");
        env.put("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
        return env;
    }

    @Test
    void theSecretTemplateAsShipped_stopsTheStart_namingEachPlaceholder() throws Exception {
        Map<String, String> env = deploymentEnvironment();
        env.putAll(DeployManifestsTest.secretTemplate());
        try (RouterProcess router = RouterProcess.start(env)) {
            assertNotEquals(0, router.awaitExit(START), router.output());
            String output = router.output();
            for (String named : List.of("api-keys", "admin-key", "ROUTER_CALLBACK_SECRET", "leonardo-key", "webhook-url")) {
                assertTrue(output.contains(named), "the refusal names " + named + ":\n" + output);
            }
            assertFalse(output.contains("REPLACE ME"), "no value is printed:\n" + output);
        }
    }

    @Test
    void theFilledSecret_runsLive_probesAndScrapeOpen_clientRequestsNeedAKey() throws Exception {
        Map<String, String> env = deploymentEnvironment();
        Map<String, String> filled = new HashMap<>();
        DeployManifestsTest.secretTemplate().keySet().forEach(k -> filled.put(k, ""));
        filled.put("LEONARDO_API_KEY", "leonardo-test-key-not-real-0001");
        filled.put("OPENAI_API_KEY", "sk-test-key-not-real-0001");
        filled.put("ROUTER_API_KEYS", "blog:" + CLIENT_KEY);
        filled.put("ROUTER_ADMIN_KEY", "deploy-admin-key-000000000001");
        filled.put("ROUTER_CALLBACK_SECRET", "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
        env.putAll(filled);
        try (RouterProcess router = RouterProcess.start(env)) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + router.awaitPort(START), ObjectMapper.getDefault());
            // the kubelet asks again until ready; the server answers before its readiness says UP
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> api.get("/health/readiness").status() == 200);
            ApiClient.Response health = api.get("/health");
            assertTrue(health.text().contains("\"mode\":\"live\""), health.text());
            for (String path : DeployProbesHttpTest.probedPaths()) {
                ApiClient.Response r = api.get(path);
                assertEquals(200, r.status(), path + " without credentials: " + r.text());
            }
            assertEquals(401, api.generate("{\"prompt\":\"no key\"}").status(), "clients need a key in live mode");
            assertEquals(401, api.get("/admin/chain").status(), "admin needs the admin key");
        }
    }
}
