package dev.imagerouter.launcher;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mode rules and the emulators process, tried as an operator would: the application in its own
 * JVM with only the environment variables each case sets (no provider key unless stated).
 */
class ModeRulesProcessTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String CLIENT_KEY = "mode-rules-client-key-0001";

    @TempDir
    Path tmp;

    private Map<String, String> base() {
        Map<String, String> env = new HashMap<>();
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        env.put("ROUTER_STORAGE_DIR", tmp.resolve("images").toString());
        env.put("ROUTER_RELOAD_WATCH", "false");
        return env;
    }

    private static ApiClient api(int port) {
        return new ApiClient("http://127.0.0.1:" + port, ObjectMapper.getDefault());
    }

    @Test
    void clientKeysWithoutProviderKeys_stopStartup_namingEachMissingVariable() throws Exception {
        Map<String, String> env = base();
        env.put("ROUTER_API_KEYS", "blog:" + CLIENT_KEY);
        try (RouterProcess router = RouterProcess.start(env)) {
            int code = router.awaitExit(START);
            assertNotEquals(0, code, router.output());
            assertTrue(router.output().contains("LEONARDO_API_KEY"), router.output());
            assertTrue(router.output().contains("OPENAI_API_KEY"), router.output());
        }
    }

    @Test
    void routerSandboxFalse_withoutProviderKeys_stopStartup() throws Exception {
        Map<String, String> env = base();
        env.put("ROUTER_SANDBOX", "false"); // the shipped file says mode: auto; the variable wins
        try (RouterProcess router = RouterProcess.start(env)) {
            assertNotEquals(0, router.awaitExit(START), router.output());
            assertTrue(router.output().contains("LEONARDO_API_KEY") && router.output().contains("OPENAI_API_KEY"), router.output());
        }
    }

    @Test
    void routerSandboxTrue_withClientKeys_runsAnAuthenticatedSandbox() throws Exception {
        Map<String, String> env = base();
        env.put("ROUTER_SANDBOX", "true");
        env.put("ROUTER_API_KEYS", "blog:" + CLIENT_KEY);
        try (RouterProcess router = RouterProcess.start(env)) {
            ApiClient api = api(router.awaitPort(START));
            assertTrue(router.output().contains("mode: sandbox (ROUTER_SANDBOX=true)"), router.output());
            assertEquals(401, api.generate("{\"prompt\":\"no key\"}").status());
            ApiClient.Response ok = api.generate("{\"prompt\":\"with a key\"}", "Authorization", "Bearer " + CLIENT_KEY);
            assertEquals(200, ok.status(), ok.text());
            assertTrue(api.get("/health").text().contains("\"mode\":\"sandbox\""), api.get("/health").text());
        }
    }

    @Test
    void theEmulatorsProcess_servesOnlyTheEmulators_andALiveRouterWithTheSandboxKeysGeneratesThroughIt() throws Exception {
        Map<String, String> emuEnv = base();
        emuEnv.put("ROUTER_SANDBOX_PENDING_MIN", "100ms");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MAX", "200ms");
        emuEnv.put("ROUTER_API_KEYS", "ignored:" + CLIENT_KEY); // the emulators need no key and check none of the router's
        try (RouterProcess emulators = RouterProcess.start(emuEnv, "emulators")) {
            int emuPort = emulators.awaitPort(START);
            ApiClient emu = api(emuPort);
            assertEquals(200, emu.get("/health").status());
            assertEquals(200, emu.get("/sandbox/stats").status());
            assertEquals(404, emu.generate("{\"prompt\":\"not a router\"}").status(), "no router in the emulators process");
            assertEquals(404, emu.get("/prometheus").status());
            assertEquals(404, emu.get("/admin/chain").status());

            Map<String, String> env = base();
            env.put("LEONARDO_API_KEY", "5a9d1b0e-7c4f-4e2a-9b3d-000000000001");
            env.put("OPENAI_API_KEY", "sk-sandbox-openai-0000");
            env.put("LEONARDO_BASE_URL", "http://127.0.0.1:" + emuPort + "/sandbox/leonardo/api/rest/v1");
            env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + emuPort + "/sandbox/openai/v1");
            env.put("ROUTER_STORAGE_DOWNLOAD_ALLOWED_HOSTS", "127.0.0.1");
            env.put("ROUTER_API_KEYS", "blog:" + CLIENT_KEY);
            env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_INITIAL_DELAY", "100ms");
            try (RouterProcess router = RouterProcess.start(env)) {
                ApiClient api = api(router.awaitPort(START));
                assertTrue(router.output().contains("mode: live"), router.output());
                ApiClient.Response r = api.generate("{\"prompt\":\"through the emulators process\"}",
                        "Authorization", "Bearer " + CLIENT_KEY);
                assertEquals(200, r.status(), r.text() + "\n" + router.output());
                assertEquals("leonardo-phoenix", r.router().get("provider"));
                assertTrue(emu.get("/sandbox/stats").text().contains("\"leonardo_creates\":1"), emu.get("/sandbox/stats").text());
                assertEquals(404, api.get("/sandbox/stats").status(), "a live router has no emulator");
                assertTrue(api.get("/health").text().contains("\"mode\":\"live\""), api.get("/health").text());
            }
        }
    }
}
