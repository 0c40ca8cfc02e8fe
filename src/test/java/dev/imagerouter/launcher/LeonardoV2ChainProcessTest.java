package dev.imagerouter.launcher;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The v2 recipe of the README, as an operator runs it: the shipped files, a sandboxed router started with
 * {@code ROUTER_CHAIN=leonardo-phoenix,leonardo-flux-pro-2,openai-gpt-image-2} and
 * {@code ROUTER_PROVIDERS_LEONARDO_FLUX_PRO_2_ENABLED=true}, nothing else. With Phoenix refusing (429), FLUX.2 Pro
 * answers through Leonardo's v2 API; its create passes the emulator's per-model validation; the image is the
 * 1344x768 PNG that was asked for.
 */
class LeonardoV2ChainProcessTest {

    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    @Test
    void phoenixRefuses_fluxPro2Answers_withA1344x768Png() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        env.put("ROUTER_STORAGE_DIR", tmp.resolve("images").toString());
        env.put("ROUTER_RELOAD_WATCH", "false");
        env.put("ROUTER_CHAIN", "leonardo-phoenix,leonardo-flux-pro-2,openai-gpt-image-2");
        env.put("ROUTER_PROVIDERS_LEONARDO_FLUX_PRO_2_ENABLED", "true");
        // shorter waits only: jobs PENDING 0.1–0.2 s, FLUX's first poll after 0.1 s
        env.put("ROUTER_SANDBOX_PENDING_MIN", "100ms");
        env.put("ROUTER_SANDBOX_PENDING_MAX", "200ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_FLUX_PRO_2_POLL_INITIAL_DELAY", "100ms");
        try (RouterProcess router = RouterProcess.start(env)) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + router.awaitPort(START), ObjectMapper.getDefault());

            ApiClient.Response r = api.generate("{\"prompt\":\"a lighthouse at dusk\",\"size\":\"1344x768\"}",
                    "X-Sandbox-Fault", "leonardo-phoenix=429");

            assertEquals(200, r.status(), r.text() + "\n" + router.output());
            assertEquals("leonardo-flux-pro-2", r.router().get("provider"), r.text());
            assertEquals("flux-pro-2.0", r.router().get("model"), r.text());
            List<Map<String, Object>> attempts = r.attempts();
            assertEquals("leonardo-phoenix", attempts.get(0).get("provider"));
            assertEquals("RATE_LIMITED", attempts.get(0).get("failure_kind"));
            assertEquals("success", attempts.get(1).get("outcome"), r.text());
            Map<String, Object> stats = api.get("/sandbox/stats").json();
            assertEquals(2, ((Number) stats.get("leonardo_creates")).intValue(), stats.toString());
            assertEquals(1, ((Number) stats.get("leonardo_v2_creates")).intValue(), "FLUX's create went to v2 and was accepted");
            assertEquals(0, ((Number) stats.get("openai_generates")).intValue(), stats.toString());
            byte[] png = api.get((String) r.data().get(0).get("url")).body();
            assertTrue(RouterTestSupport.isPng(png));
            assertArrayEquals(new int[]{1344, 768}, RouterTestSupport.imageSize(png));
        }
    }
}
