package dev.imagerouter.launcher;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.HookReceiver;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 23's takeover rule: two replicas on one Redis, replica {@code a} killed with SIGKILL while
 * its 12 jobs are in flight (10 accepted by Leonardo with their generationIds recorded, 2 queued for
 * a Leonardo slot): replica {@code b} takes them over once {@code a}'s lease expires, resumes the
 * accepted ones by id and runs the queued ones, and all 12 succeed. No Leonardo job is created twice,
 * Leonardo creates plus OpenAI generations are exactly 12, and each job's callback arrives once.
 */
class JobsTakeoverKillTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String KEY = "takeover-test-client-key-0001";
    private static final int JOBS = 12;

    @TempDir
    Path tmp;

    @Test
    void aReplicaKilledWithJobsInFlight_hasThemTakenOver_noneCreatedTwice_eachCallbackOnce() throws Exception {
        Map<String, String> emuEnv = new HashMap<>();
        emuEnv.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        emuEnv.put("ROUTER_STORAGE_DIR", tmp.resolve("emulator").toString());
        emuEnv.put("ROUTER_RELOAD_WATCH", "false");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MIN", "4s");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MAX", "5s");
        try (RedisServer redis = RedisServer.onFreePort(); HookReceiver hooks = new HookReceiver();
             RouterProcess emulators = RouterProcess.start(emuEnv, "emulators");
             RouterProcess a = RouterProcess.start(routerEnv(emulators.port(), redis, "a"));
             RouterProcess b = RouterProcess.start(routerEnv(emulators.port(), redis, "b"))) {
            ApiClient emu = new ApiClient("http://127.0.0.1:" + emulators.awaitPort(START), ObjectMapper.getDefault());
            ApiClient onA = new ApiClient("http://127.0.0.1:" + a.awaitPort(START), ObjectMapper.getDefault());
            ApiClient onB = new ApiClient("http://127.0.0.1:" + b.awaitPort(START), ObjectMapper.getDefault());
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                ApiClient.Response r = onA.generate("{\"prompt\":\"taken over " + i + " " + System.nanoTime() + "\"}",
                        "Authorization", "Bearer " + KEY, "Prefer", "respond-async", "X-Router-Callback-Url", hooks.url());
                assertEquals(202, r.status(), r.text());
                ids.add((String) r.json().get("id"));
            }
            // kill once Leonardo has accepted ten (its ten slots) with their ids in Redis and the other two wait
            // queued, with no call under way unrecorded (which would be skipped after the takeover: INTERRUPTED)
            java.util.concurrent.atomic.AtomicReference<List<String>> seen = new java.util.concurrent.atomic.AtomicReference<>();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    List<String> records = redis.with(r -> ids.stream().map(id -> r.hget("image-router:job:" + id, "record")).toList());
                    seen.set(records);
                    long accepted = records.stream().filter(s -> s.contains("\"job_id\":\"")).count();
                    boolean noneUnrecorded = records.stream().allMatch(s -> s.contains("\"job_id\":\"") || s.contains("\"calling\":null"));
                    return accepted == 10 && noneUnrecorded;
                });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("records: " + seen.get() + "\n" + a.output(), e);
            }
            a.kill();
            assertEquals(List.of(), hooks.received(), "nothing had finished when replica a was killed");
            assertEquals(10, stat(emu, "leonardo_creates"));

            for (String id : ids) {
                Map<String, Object> job = await().atMost(Duration.ofSeconds(40)).until(
                        () -> onB.get("/v1/images/jobs/" + id, "Authorization", "Bearer " + KEY).json(),
                        j -> j != null && List.of("succeeded", "failed").contains(j.get("status")));
                assertEquals("succeeded", job.get("status"), job + "\n" + b.output());
            }
            assertTrue(b.output().contains("jobs taken over from replica a (its lease expired): 10 resumed by provider job id,"
                    + " 2 queued again"), b.output());
            assertEquals(0, stat(emu, "leonardo_repeated_creates"), emu.get("/sandbox/stats").text());
            assertEquals(JOBS, stat(emu, "leonardo_creates") + stat(emu, "openai_generates"), emu.get("/sandbox/stats").text());

            await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream().allMatch(id -> hooks.received().stream()
                    .anyMatch(h -> ("msg_" + id).equals(h.header("webhook-id")))));
            // a callback delivered twice would come at once: its job is settled on the first
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> hooks.received().size() == JOBS);
            assertEquals(Set.copyOf(ids.stream().map(id -> "msg_" + id).toList()),
                    Set.copyOf(hooks.received().stream().map(h -> h.header("webhook-id")).toList()));
            assertTrue(hooks.received().stream().allMatch(h -> h.body().contains("\"succeeded\"")));
        }
    }

    private Map<String, String> routerEnv(int emuPort, RedisServer redis, String replica) {
        Map<String, String> env = new HashMap<>();
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        env.put("ROUTER_STORAGE_DIR", tmp.resolve("images-" + replica).toString());
        env.put("ROUTER_RELOAD_WATCH", "false");
        env.put("ROUTER_SANDBOX", "false");
        env.put("LEONARDO_API_KEY", "5a9d1b0e-7c4f-4e2a-9b3d-000000000001");
        env.put("OPENAI_API_KEY", "sk-sandbox-openai-0000");
        env.put("LEONARDO_BASE_URL", "http://127.0.0.1:" + emuPort + "/sandbox/leonardo/api/rest/v1");
        env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + emuPort + "/sandbox/openai/v1");
        env.put("ROUTER_STORAGE_DOWNLOAD_ALLOWED_HOSTS", "127.0.0.1");
        env.put("ROUTER_API_KEYS", "blog:" + KEY);
        env.put("ROUTER_CALLBACKS_ALLOWED_HOSTS", "127.0.0.1");
        env.put("ROUTER_CALLBACK_SECRET", "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]));
        env.put("ROUTER_CALLBACKS_INITIAL_BACKOFF", "200ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_INITIAL_DELAY", "200ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_MAX_DELAY", "500ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_DAILY_BUDGET_CREDITS", "100000000");
        // creates go out at once (not paced a minute's period apart), so that Leonardo holds ten accepted jobs
        // at one time while two wait for a slot
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_RESILIENCE_LIMIT_FOR_PERIOD", "10000");
        env.put("REDIS_URI", redis.uri());
        env.put("ROUTER_REPLICA_ID", replica);
        env.put("ROUTER_JOBS_LEASE_TTL", "2s");
        env.put("ROUTER_JOBS_LEASE_RENEW", "500ms");
        return env;
    }

    private static long stat(ApiClient emu, String name) {
        return ((Number) emu.get("/sandbox/stats").json().get(name)).longValue();
    }
}
