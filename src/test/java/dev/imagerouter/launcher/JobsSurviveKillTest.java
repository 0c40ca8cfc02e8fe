package dev.imagerouter.launcher;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.HookReceiver;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.json.JsonMapper;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The durability rule: 20 async jobs, the router killed with SIGKILL while they run,
 * restarted on the same store against the same emulators process: 20 of 20 succeed and Leonardo
 * saw no job created twice (accepted jobs are resumed by their generationId).
 */
class JobsSurviveKillTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String CLIENT_KEY = "kill-test-client-key-0001";

    @TempDir
    Path tmp;

    @Test
    void twentyJobs_survive_aKill9_withoutAnyLeonardoJobCreatedTwice() throws Exception {
        Map<String, String> emuEnv = new HashMap<>();
        emuEnv.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        emuEnv.put("ROUTER_STORAGE_DIR", tmp.resolve("emulator").toString());
        emuEnv.put("ROUTER_RELOAD_WATCH", "false");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MIN", "2s");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MAX", "3s");
        try (RouterProcess emulators = RouterProcess.start(emuEnv, "emulators"); HookReceiver hooks = new HookReceiver()) {
            int emuPort = emulators.awaitPort(START);
            ApiClient emu = new ApiClient("http://127.0.0.1:" + emuPort, ObjectMapper.getDefault());
            Map<String, String> env = routerEnv(emuPort);
            Path active = tmp.resolve("images").resolve("jobs").resolve("active");
            List<String> ids = new ArrayList<>();
            try (RouterProcess router = RouterProcess.start(env)) {
                ApiClient api = new ApiClient("http://127.0.0.1:" + router.awaitPort(START), ObjectMapper.getDefault());
                for (int i = 0; i < 20; i++) {
                    ApiClient.Response r = api.generate("{\"prompt\":\"survives a kill " + i + " " + System.nanoTime() + "\"}",
                            "Authorization", "Bearer " + CLIENT_KEY, "Prefer", "respond-async", "X-Router-Callback-Url", hooks.url());
                    assertEquals(202, r.status(), r.text());
                    ids.add((String) r.json().get("id"));
                }
                // kill while Leonardo holds accepted jobs (10 at once: its concurrency) and the rest wait
                await().atMost(Duration.ofSeconds(20)).until(() -> filesContaining(active, "\"job_id\":\"") >= 5);
                router.kill();
            }
            long createsBeforeRestart = stat(emu, "leonardo_creates");
            assertTrue(createsBeforeRestart >= 5 && createsBeforeRestart < 20, "created before the kill: " + createsBeforeRestart);
            try (RouterProcess router = RouterProcess.start(env)) {
                ApiClient api = new ApiClient("http://127.0.0.1:" + router.awaitPort(START), ObjectMapper.getDefault());
                for (String id : ids) {
                    Map<String, Object> job = await().atMost(Duration.ofSeconds(60)).until(
                            () -> api.get("/v1/images/jobs/" + id, "Authorization", "Bearer " + CLIENT_KEY).json(),
                            j -> j != null && ("succeeded".equals(j.get("status")) || "failed".equals(j.get("status"))));
                    assertEquals("succeeded", job.get("status"), job + "\n" + router.output());
                }
                assertTrue(router.output().contains("resuming leonardo-phoenix job"), router.output());
                // every job's callback arrives, also for jobs that finished or were resumed around the kill
                // (at least once: one delivered just before the kill may come again, with the same webhook-id)
                await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(id -> hooks.received().stream()
                        .anyMatch(h -> ("msg_" + id).equals(h.header("webhook-id")) && h.body().contains("\"succeeded\""))));
            }
            assertEquals(0, stat(emu, "leonardo_repeated_creates"), emu.get("/sandbox/stats").text());
            assertTrue(stat(emu, "leonardo_creates") <= 20, emu.get("/sandbox/stats").text());
            assertEquals(20, stat(emu, "leonardo_creates") + stat(emu, "openai_generates"), emu.get("/sandbox/stats").text());
        }
    }

    private Map<String, String> routerEnv(int emuPort) {
        Map<String, String> env = new HashMap<>();
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        env.put("ROUTER_STORAGE_DIR", tmp.resolve("images").toString());
        env.put("ROUTER_RELOAD_WATCH", "false");
        env.put("ROUTER_SANDBOX", "false");
        env.put("LEONARDO_API_KEY", "5a9d1b0e-7c4f-4e2a-9b3d-000000000001");
        env.put("OPENAI_API_KEY", "sk-sandbox-openai-0000");
        env.put("LEONARDO_BASE_URL", "http://127.0.0.1:" + emuPort + "/sandbox/leonardo/api/rest/v1");
        env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + emuPort + "/sandbox/openai/v1");
        env.put("ROUTER_STORAGE_DOWNLOAD_ALLOWED_HOSTS", "127.0.0.1");
        env.put("ROUTER_API_KEYS", "blog:" + CLIENT_KEY);
        env.put("ROUTER_CALLBACKS_ALLOWED_HOSTS", "127.0.0.1");
        env.put("ROUTER_CALLBACK_SECRET", "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]));
        env.put("ROUTER_CALLBACKS_INITIAL_BACKOFF", "200ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_INITIAL_DELAY", "200ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_MAX_DELAY", "500ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_DAILY_BUDGET_CREDITS", "100000000");
        return env;
    }

    private static long filesContaining(Path dir, String text) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".json")).filter(f -> {
                try {
                    return Files.readString(f).contains(text);
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    private static long stat(ApiClient emu, String name) {
        Object value = emu.get("/sandbox/stats").json().get(name);
        return ((Number) value).longValue();
    }
}
