package dev.imagerouter.launcher;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two router processes (replicas {@code a} and {@code b}) sharing one real Redis and one emulators
 * process: whichever replica a client reaches answers for any job. Each replica has one Leonardo slot
 * (concurrency 1) and every Leonardo job takes 4 s, so jobs stay queued or running while the test
 * looks at them; {@code router.jobs.max-queued} is 3 for both together.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedJobsProcessTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String BLOG = "Bearer shared-jobs-blog-key-0001";
    private static final String SHOP = "Bearer shared-jobs-shop-key-0002";

    private Path tmp;
    private RedisServer redis;
    private RouterProcess emulators;
    private RouterProcess replicaA;
    private RouterProcess replicaB;
    private ApiClient emu;
    private ApiClient a;
    private ApiClient b;

    @BeforeAll
    void start() throws Exception {
        tmp = Files.createTempDirectory("shared-jobs");
        redis = RedisServer.onFreePort();
        Map<String, String> emuEnv = new HashMap<>();
        emuEnv.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        emuEnv.put("ROUTER_STORAGE_DIR", tmp.resolve("emulator").toString());
        emuEnv.put("ROUTER_RELOAD_WATCH", "false");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MIN", "4s");
        emuEnv.put("ROUTER_SANDBOX_PENDING_MAX", "4s");
        // the three processes start side by side (the routers call the emulators only once asked to generate)
        emulators = RouterProcess.start(emuEnv, "emulators");
        int emuPort = emulators.port();
        replicaA = RouterProcess.start(routerEnv(emuPort, "a"));
        replicaB = RouterProcess.start(routerEnv(emuPort, "b"));
        emu = new ApiClient("http://127.0.0.1:" + emulators.awaitPort(START), ObjectMapper.getDefault());
        a = new ApiClient("http://127.0.0.1:" + replicaA.awaitPort(START), ObjectMapper.getDefault());
        b = new ApiClient("http://127.0.0.1:" + replicaB.awaitPort(START), ObjectMapper.getDefault());
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[]{replicaA, replicaB, emulators, redis}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private Map<String, String> routerEnv(int emuPort, String replica) {
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
        env.put("ROUTER_API_KEYS", "blog:" + BLOG.substring(7) + ",shop:" + SHOP.substring(7));
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_INITIAL_DELAY", "200ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_POLL_MAX_DELAY", "500ms");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_DAILY_BUDGET_CREDITS", "100000000");
        env.put("ROUTER_PROVIDERS_LEONARDO_PHOENIX_RESILIENCE_MAX_CONCURRENT_CALLS", "1");
        env.put("REDIS_URI", redis.uri());
        env.put("ROUTER_REPLICA_ID", replica);
        env.put("ROUTER_JOBS_MAX_QUEUED", "3");
        env.put("ROUTER_JOBS_MAX_WAIT", "60s");
        env.put("ROUTER_JOBS_LEASE_TTL", "3s");
        env.put("ROUTER_JOBS_LEASE_RENEW", "500ms");
        return env;
    }

    private static ApiClient.Response create(ApiClient replica, String prompt) {
        return replica.generate("{\"prompt\":\"" + prompt + "\"}", "Authorization", BLOG, "Prefer", "respond-async");
    }

    private static String created(ApiClient replica, String prompt) {
        ApiClient.Response r = create(replica, prompt);
        assertEquals(202, r.status(), r.text());
        return (String) r.json().get("id");
    }

    private static Map<String, Object> job(ApiClient replica, String id) {
        ApiClient.Response r = replica.get("/v1/images/jobs/" + id, "Authorization", BLOG);
        assertEquals(200, r.status(), r.text());
        return r.json();
    }

    private long stat(String name) {
        return ((Number) emu.get("/sandbox/stats").json().get(name)).longValue();
    }

    @Test
    void aJobCreatedOnA_isReadStreamedAndCancelledOnB_andMaxQueuedCountsTheJobsOfBothReplicas() throws Exception {
        String prompt = "shared job " + System.nanoTime();
        // Given a job running on A (its Leonardo slot taken), one queued behind it on A, and one running on B
        String runningOnA = created(a, prompt);
        await().atMost(Duration.ofSeconds(10)).until(() -> stat("leonardo_creates") == 1);
        String queuedOnA = created(a, "queued on a " + System.nanoTime());
        String runningOnB = created(b, "running on b " + System.nanoTime());

        // Then B answers for A's jobs, from Redis; another client's job is 404 there as on A
        assertEquals("running", job(b, runningOnA).get("status"));
        assertEquals("queued", job(b, queuedOnA).get("status"));
        assertEquals(404, b.get("/v1/images/jobs/" + runningOnA, "Authorization", SHOP).status());
        assertEquals(404, b.send(b.request("/v1/images/jobs/" + queuedOnA, "Authorization", SHOP).DELETE().build()).status());
        assertEquals(404, b.get("/v1/images/jobs/" + runningOnA + "/events", "Authorization", SHOP).status());
        // and the three unfinished jobs fill max-queued for both replicas together
        ApiClient.Response full = create(b, "one too many " + System.nanoTime());
        assertEquals(429, full.status(), full.text());
        assertEquals("too_many_jobs", full.error().get("code"));

        // When B streams the events of A's running job
        CompletableFuture<List<String[]>> events = CompletableFuture.supplyAsync(() -> events(b, runningOnA));
        // and B cancels A's queued job
        ApiClient.Response cancelled = b.send(b.request("/v1/images/jobs/" + queuedOnA, "Authorization", BLOG).DELETE().build());
        assertEquals(200, cancelled.status(), cancelled.text());
        assertEquals("cancelled", cancelled.json().get("status"));
        ApiClient.Response notCancellable = b.send(b.request("/v1/images/jobs/" + runningOnA, "Authorization", BLOG).DELETE().build());
        assertEquals(409, notCancellable.status(), notCancellable.text());

        // Then the cancel made room across the replicas, and A never calls a provider for the cancelled job
        String queuedOnB = created(b, "room again " + System.nanoTime());
        await().atMost(Duration.ofSeconds(5)).until(() -> "cancelled".equals(job(a, queuedOnA).get("status")));
        for (String id : List.of(runningOnA, runningOnB, queuedOnB)) {
            Map<String, Object> done = await().atMost(Duration.ofSeconds(40)).until(() -> job(id.equals(runningOnA) ? b : a, id),
                    j -> List.of("succeeded", "failed").contains(j.get("status")));
            assertEquals("succeeded", done.get("status"), done.toString());
        }
        assertEquals("cancelled", job(a, queuedOnA).get("status"));
        assertEquals(3, stat("leonardo_creates"), emu.get("/sandbox/stats").text());
        assertEquals(0, stat("openai_generates"), "the cancelled job fell back to nothing either");

        // and B's stream showed the snapshot, A's relayed progress, and the end
        List<String[]> stream = events.get(30, TimeUnit.SECONDS);
        List<String> names = stream.stream().map(e -> e[0]).toList();
        assertEquals("job", names.get(0), names.toString());
        assertTrue(names.contains("attempt"), "A's attempt event, relayed: " + names);
        assertEquals("succeeded", names.get(names.size() - 1), names.toString());
        assertTrue(stream.get(stream.size() - 1)[1].contains("\"id\":\"" + runningOnA + "\""), stream.get(stream.size() - 1)[1]);

        // A batch made on A (a cache hit there: born succeeded) is read on B
        ApiClient.Response batch = a.post("/v1/images/batches", "application/json",
                ("{\"requests\":[{\"prompt\":\"" + prompt + "\"}]}").getBytes(StandardCharsets.UTF_8), "Authorization", BLOG);
        assertEquals(202, batch.status(), batch.text());
        ApiClient.Response onB = b.get("/v1/images/batches/" + batch.json().get("id"), "Authorization", BLOG);
        assertEquals(200, onB.status(), onB.text());
        assertEquals(1, ((Map<?, ?>) onB.json().get("counts")).get("total"));
        assertEquals(404, b.get("/v1/images/batches/" + batch.json().get("id"), "Authorization", SHOP).status());
    }

    /** The server-sent events of a job until the stream ends: each {name, data}. */
    private static List<String[]> events(ApiClient replica, String id) {
        List<String[]> events = new ArrayList<>();
        try {
            HttpResponse<java.io.InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(replica.base() + "/v1/images/jobs/" + id + "/events")).header("Authorization", BLOG)
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode());
            String name = null;
            String data = null;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith("event:")) {
                        name = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        data = line.substring(5).trim();
                    } else if (line.isEmpty() && name != null) {
                        events.add(new String[]{name, data});
                        name = null;
                        data = null;
                    }
                }
            }
            if (name != null) {
                events.add(new String[]{name, data});
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return events;
    }
}
