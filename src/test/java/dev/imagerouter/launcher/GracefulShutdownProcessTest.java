package dev.imagerouter.launcher;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.core.type.Argument;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM as an orchestrator sends it, to the application in its own JVM: the generation in flight
 * finishes (in sandbox mode its Leonardo polls reach the in-process emulators meanwhile), readiness
 * is DOWN and new work is refused with 503 {@code shutting_down} during the grace, cache hits and
 * files are still served, and the process exits 0; a generation longer than the grace is answered
 * 503 and the process still exits on time, as it does at once on a second SIGTERM; asynchronous jobs are left in the job store as they stand
 * (an accepted Leonardo job with its generationId, a queued one queued) and finish after the restart
 * without any Leonardo job created twice.
 */
class GracefulShutdownProcessTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String CLIENT_KEY = "shutdown-test-client-key-01";

    @TempDir
    Path tmp;

    private Map<String, String> sandbox() {
        Map<String, String> env = new HashMap<>();
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        env.put("ROUTER_STORAGE_DIR", tmp.resolve("images").toString());
        env.put("ROUTER_RELOAD_WATCH", "false");
        env.put("ROUTER_SANDBOX", "true");
        return env;
    }

    private static ApiClient api(int port) {
        return new ApiClient("http://127.0.0.1:" + port, ObjectMapper.getDefault());
    }

    /** Startup is over (every startup check ran) once readiness answers 200. */
    private static void awaitReady(ApiClient api) {
        await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> api.get("/health/readiness").status() == 200);
    }

    private static String body(String what) {
        return "{\"prompt\":\"" + what + " " + UUID.randomUUID() + "\"}";
    }

    @Test
    void sigterm_letsTheGenerationInFlightFinish_refusesNewWork_thenExits0() throws Exception {
        Map<String, String> env = sandbox();
        env.put("ROUTER_SANDBOX_PENDING_MIN", "4s");
        env.put("ROUTER_SANDBOX_PENDING_MAX", "4s");
        try (RouterProcess router = RouterProcess.start(env)) {
            ApiClient api = api(router.awaitPort(START));
            awaitReady(api);
            // a result in the cache before the shutdown (OpenAI answers it at once: Leonardo says 429)
            String cachedBody = body("cached before the shutdown");
            ApiClient.Response cached = api.generate(cachedBody, "X-Sandbox-Fault", "leonardo=429");
            assertEquals(200, cached.status(), cached.text());

            CompletableFuture<ApiClient.Response> inFlight = CompletableFuture.supplyAsync(() -> api.generate(body("in flight")));
            await().atMost(Duration.ofSeconds(10)).until(() -> stat(api, "leonardo_creates") >= 2);
            Thread.sleep(1_500); // the scenario: SIGTERM 1.5 s into a 4 s Leonardo job (a point in time, not a condition)
            assertFalse(inFlight.isDone(), "the Leonardo job is pending for 4 s");
            long signalled = System.nanoTime();
            router.terminate();

            // during the grace: not ready, nothing new that costs money, but cheap answers still come
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> api.get("/health/readiness").status() == 503);
            assertEquals("DOWN", entry(api.get("/health/readiness"), "shutdown").get("status"));
            assertEquals(200, api.get("/health/liveness").status());
            ApiClient.Response refused = api.generate(body("new during the grace"));
            assertEquals(503, refused.status(), refused.text());
            assertEquals("shutting_down", refused.error().get("code"));
            assertEquals("server_error", refused.error().get("type"));
            assertNotNull(refused.header("Retry-After"));
            ApiClient.Response hit = api.generate(cachedBody);
            assertEquals(200, hit.status(), hit.text());
            assertEquals("HIT", hit.header("X-Router-Cache"));
            assertEquals(200, api.get((String) hit.data().get(0).get("url")).status());
            ApiClient.Response async = api.generate(body("async during the grace"), "Prefer", "respond-async");
            assertEquals(503, async.status(), async.text());
            assertEquals("shutting_down", async.error().get("code"));
            assertFalse(inFlight.isDone(), "still generating while the new work is refused");

            ApiClient.Response first = inFlight.get(35, TimeUnit.SECONDS);
            assertEquals(200, first.status(), first.text());
            assertEquals("leonardo-phoenix", first.header("X-Router-Provider"),
                    "its polls reached the in-process emulators during the grace: " + first.text());
            assertNotNull(first.data().get(0).get("url"));
            assertEquals(0, router.awaitExit(Duration.ofSeconds(35)), router.output());
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            assertTrue(took < 35_000, "exited " + took + " ms after SIGTERM");
            assertTrue(router.output().contains("SIGTERM: shutting down"), router.output());
        }
    }

    @Test
    void aGenerationLongerThanTheGrace_isAnswered503_andTheProcessStillExits0OnTime() throws Exception {
        Map<String, String> env = sandbox();
        env.put("ROUTER_SHUTDOWN_GRACE", "1s");
        env.put("ROUTER_SANDBOX_PENDING_MIN", "20s");
        env.put("ROUTER_SANDBOX_PENDING_MAX", "20s");
        try (RouterProcess router = RouterProcess.start(env)) {
            ApiClient api = api(router.awaitPort(START));
            awaitReady(api);
            CompletableFuture<ApiClient.Response> inFlight = CompletableFuture.supplyAsync(() -> api.generate(body("too long")));
            await().atMost(Duration.ofSeconds(10)).until(() -> stat(api, "leonardo_creates") >= 1);
            long signalled = System.nanoTime();
            router.terminate();

            assertEquals(0, router.awaitExit(Duration.ofSeconds(15)), router.output());
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            // the grace, then at most the framework's 5 s for responses being written, plus teardown
            assertTrue(took < 1_000 + 5_000 + 2_000, "exited " + took + " ms after SIGTERM with a 1 s grace");
            ApiClient.Response answer = inFlight.get(5, TimeUnit.SECONDS);
            assertEquals(503, answer.status(), answer.text());
            assertEquals("shutting_down", answer.error().get("code"), "answered, not cut off");
            assertTrue(router.output().contains("the grace (1000 ms) is over"), router.output());
        }
    }

    @Test
    void aSecondSigterm_skipsTheRestOfTheGrace() throws Exception {
        Map<String, String> env = sandbox();
        env.put("ROUTER_SANDBOX_PENDING_MIN", "20s");
        env.put("ROUTER_SANDBOX_PENDING_MAX", "20s");
        try (RouterProcess router = RouterProcess.start(env)) {
            ApiClient api = api(router.awaitPort(START));
            awaitReady(api);
            CompletableFuture<ApiClient.Response> inFlight = CompletableFuture.supplyAsync(() -> api.generate(body("cut short")));
            await().atMost(Duration.ofSeconds(10)).until(() -> stat(api, "leonardo_creates") >= 1);
            router.terminate();
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> api.get("/health/readiness").status() == 503);
            long again = System.nanoTime();
            router.terminate();

            assertEquals(0, router.awaitExit(Duration.ofSeconds(15)), router.output());
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - again);
            assertTrue(took < 8_000, "exited " + took + " ms after the second SIGTERM (grace 30 s)");
            assertEquals("shutting_down", inFlight.get(5, TimeUnit.SECONDS).error().get("code"));
            assertTrue(router.output().contains("the grace was cut short"), router.output());
        }
    }

    @Test
    void asyncJobs_stayInTheStoreAsTheyStand_andFinishAfterTheRestart_withoutALeonardoJobCreatedTwice() throws Exception {
        Map<String, String> emuEnv = new HashMap<>();
        emuEnv.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        emuEnv.put("ROUTER_STORAGE_DIR", tmp.resolve("emulator").toString());
        emuEnv.put("ROUTER_RELOAD_WATCH", "false");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MIN", "8s");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MAX", "8s");
        try (RouterProcess emulators = RouterProcess.start(emuEnv, "emulators")) {
            int emuPort = emulators.awaitPort(START);
            ApiClient emu = api(emuPort);
            Map<String, String> env = liveRouter(emuPort);
            Path active = tmp.resolve("images").resolve("jobs").resolve("active");
            String auth = "Bearer " + CLIENT_KEY;
            String running;
            String queued;
            try (RouterProcess router = RouterProcess.start(env)) {
                ApiClient api = api(router.awaitPort(START));
                awaitReady(api);
                running = jobId(api.generate(body("accepted before the shutdown"), "Authorization", auth, "Prefer", "respond-async"));
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.isRegularFile(active.resolve(running + ".json"))
                        && Files.readString(active.resolve(running + ".json")).contains("\"job_id\":\""));
                // Leonardo's one concurrency slot (set below) is taken: this one waits in the router's queue
                queued = jobId(api.generate(body("queued before the shutdown"), "Authorization", auth, "Prefer", "respond-async"));
                await().atMost(Duration.ofSeconds(5)).until(() -> "queued".equals(
                        api.get("/v1/images/jobs/" + queued, "Authorization", auth).json().get("status")));
                router.terminate();
                assertEquals(200, api.get("/v1/images/jobs/" + running, "Authorization", auth).status(),
                        "job reads are served during the grace");
                assertEquals(0, router.awaitExit(Duration.ofSeconds(15)), router.output());
            }
            assertEquals(1, stat(emu, "leonardo_creates"), "the queued job started no Leonardo job: " + emu.get("/sandbox/stats").text());
            Map<String, Object> stillRunning = stored(active.resolve(running + ".json"));
            assertEquals("running", stillRunning.get("status"), stillRunning.toString());
            assertNotNull(stillRunning.get("accepted"), "its generationId is kept for the restart: " + stillRunning);
            assertNull(stillRunning.get("error"), stillRunning.toString());
            Map<String, Object> stillQueued = stored(active.resolve(queued + ".json"));
            assertEquals("queued", stillQueued.get("status"), stillQueued.toString());
            assertNull(stillQueued.get("calling"), stillQueued.toString());

            try (RouterProcess router = RouterProcess.start(env)) {
                ApiClient api = api(router.awaitPort(START));
                for (String id : new String[]{running, queued}) {
                    Map<String, Object> job = await().atMost(Duration.ofSeconds(60)).until(
                            () -> api.get("/v1/images/jobs/" + id, "Authorization", auth).json(),
                            j -> j != null && ("succeeded".equals(j.get("status")) || "failed".equals(j.get("status"))));
                    assertEquals("succeeded", job.get("status"), job + "\n" + router.output());
                }
                assertTrue(router.output().contains("resuming leonardo-phoenix job"), router.output());
            }
            assertEquals(2, stat(emu, "leonardo_creates"), emu.get("/sandbox/stats").text());
            assertEquals(0, stat(emu, "leonardo_repeated_creates"), emu.get("/sandbox/stats").text());
            assertEquals(0, stat(emu, "openai_generates"), emu.get("/sandbox/stats").text());
        }
    }

    private Map<String, String> liveRouter(int emuPort) {
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
        env.put("ROUTER_SHUTDOWN_GRACE", "1s");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_RESILIENCE_MAX_CONCURRENT_CALLS", "1");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_INITIAL_DELAY", "200ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_MAX_DELAY", "500ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_DAILY_BUDGET_CREDITS", "100000000");
        return env;
    }

    private static String jobId(ApiClient.Response accepted) {
        assertEquals(202, accepted.status(), accepted.text());
        return (String) accepted.json().get("id");
    }

    private static Map<String, Object> stored(Path file) throws Exception {
        assertTrue(Files.isRegularFile(file), file + " is still in jobs/active");
        return ObjectMapper.getDefault().readValue(Files.readAllBytes(file), Argument.mapOf(String.class, Object.class));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> entry(ApiClient.Response health, String name) {
        assertNotNull(health.json(), health.text());
        Map<String, Object> details = (Map<String, Object>) health.json().get("details");
        assertNotNull(details, health.text());
        Map<String, Object> entry = (Map<String, Object>) details.get(name);
        assertNotNull(entry, health.text());
        return entry;
    }

    private static long stat(ApiClient api, String name) {
        return ((Number) api.get("/sandbox/stats").json().get(name)).longValue();
    }
}
