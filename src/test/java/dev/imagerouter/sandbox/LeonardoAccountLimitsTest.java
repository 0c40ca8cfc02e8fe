package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.imagerouter.sandbox.LeonardoEmulatorTest.AUTH;
import static dev.imagerouter.sandbox.LeonardoEmulatorTest.BASE;
import static dev.imagerouter.sandbox.LeonardoEmulatorTest.phoenix;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Leonardo account limits of the emulator ({@link LeonardoLimits}: creates per window, processing slots, the
 * pending-job bound) and the stats that show them ({@code leonardo_rate_limited_creates},
 * {@code leonardo_queue_full_creates}, {@code leonardo_max_processing_jobs}, {@code leonardo_repeated_creates}),
 * over real HTTP.
 *
 * <p>The router starts with Leonardo's published limits in {@code router.sandbox.*}, so the first test proves they
 * reach the emulator; each other test sets the limits it needs on top. The emulator runs on {@link System#nanoTime()},
 * so the timed tests wait with Awaitility and check when things were first seen.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeonardoAccountLimitsTest extends EmulatorTest implements TestPropertyProvider {

    /** What {@link LeonardoEmulatorTest#phoenix} costs: one image at 8 credits. */
    static final BigDecimal COST = new BigDecimal("8");

    private SandboxSettings startup;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "router.sandbox.mode", "true",
                "router.sandbox.pending-min", "50ms",
                "router.sandbox.pending-max", "50ms",
                "router.sandbox.leonardo-create-limit", "100",
                "router.sandbox.leonardo-create-window", "1m",
                "router.sandbox.leonardo-concurrent-jobs", "10",
                "router.sandbox.leonardo-pending-jobs", "200");
    }

    @BeforeAll
    void captureStartupSettings() {
        startup = state.settings();
    }

    @BeforeEach
    void setUp() {
        reset(startup);
    }

    @Test
    void theConfiguredLimitsReachTheEmulator() {
        assertEquals(new LeonardoLimits(100, Duration.ofMinutes(1), 10, 200), startup.leonardoLimits());
    }

    // ---- create limit ----

    @Test
    void createsBeyondTheLimitInOneWindow_get429_createNothing_andAreAcceptedAgainOnceTheWindowHasPassed() throws Exception {
        // Given the answer of the leonardo=429 fault, without limits
        reset(startup.toBuilder().leonardoCreateLimit(0, Duration.ofMinutes(1)).build());
        SandboxTestClient.Response fault = create("the fault", SandboxKeys.FAULT_HEADER, "leonardo=429");
        assertEquals(429, fault.status(), fault.text());

        // and an account allowing 3 creates in any 2 s
        Duration window = Duration.ofSeconds(2);
        reset(startup.toBuilder().leonardoCreateLimit(3, window).build());
        BigDecimal balance = state.leonardoBalance();

        // When 3 creates are accepted and 2 more follow within the window
        long first = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            assertEquals(200, create("window " + i).status());
        }
        List<SandboxTestClient.Response> beyond = List.of(create("window 3"), create("window 4"));
        assertTrue(System.nanoTime() - first < window.toNanos(), "the five creates took longer than the window");

        // Then both answer exactly as the fault, without Retry-After
        for (SandboxTestClient.Response r : beyond) {
            assertEquals(429, r.status(), r.text());
            assertEquals(fault.text(), r.text());
            assertEquals(fault.header("content-type"), r.header("content-type"));
            assertFalse(r.header("retry-after").isPresent());
        }
        // and created and charged nothing, and are counted
        assertEquals(3, stats.leonardoCreatesAccepted());
        assertEquals(balance.subtract(COST.multiply(BigDecimal.valueOf(3))), state.leonardoBalance());
        JsonNode s = stats();
        assertEquals(2, s.get("leonardo_rate_limited_creates").getLongValue());
        assertEquals(5, s.get("leonardo_creates").getLongValue());
        assertEquals(0, s.get("leonardo_queue_full_creates").getLongValue());

        // And once the window has passed since the first, a create is accepted again (every refusal on the way counted)
        int[] refused = {0};
        await().atMost(window.multipliedBy(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            SandboxTestClient.Response r = create("window again");
            if (r.status() == 429) {
                refused[0]++;
                return false;
            }
            assertEquals(200, r.status(), r.text());
            return true;
        });
        long acceptedAfterMs = (System.nanoTime() - first) / 1_000_000;
        assertTrue(acceptedAfterMs >= window.toMillis(), "accepted again " + acceptedAfterMs + " ms after the first create");
        assertEquals(4, stats.leonardoCreatesAccepted());
        assertEquals(2 + refused[0], stats().get("leonardo_rate_limited_creates").getLongValue());
    }

    // ---- concurrency ----

    @Test
    void withTwoSlots_fiveJobsCreatedAtOnce_areAllAccepted_processTwoAtATime_andAllComplete() throws Exception {
        // Given two slots and a 500 ms pending phase
        Duration pending = Duration.ofMillis(500);
        reset(startup.toBuilder().pending(pending, pending).leonardoConcurrentJobs(2, 200).build());

        // When five jobs are created at once
        long sent = System.nanoTime();
        List<String> ids = createAtOnce(5, "slots");

        // Then all five have a generationId and are PENDING
        assertEquals(5, new HashSet<>(ids).size());
        for (String id : ids) {
            assertEquals("PENDING", status(id));
        }
        // and two processed at once, while all five were held at once
        JsonNode s = stats();
        assertEquals(2, s.get("leonardo_max_processing_jobs").getIntValue());
        assertEquals(5, s.get("leonardo_max_concurrent_jobs").getIntValue());

        // And all five complete, the last no earlier than three pending phases (2 + 2 + 1) after the creates
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (String id : ids) {
                if (!"COMPLETE".equals(status(id))) {
                    return false;
                }
            }
            return true;
        });
        long doneMs = (System.nanoTime() - sent) / 1_000_000;
        assertTrue(doneMs >= pending.multipliedBy(3).toMillis(), "all COMPLETE " + doneMs + " ms after the creates");
        for (String id : ids) {
            assertEquals(1, generation(poll(id)).get("generated_images").size());
        }
        assertEquals(2, stats().get("leonardo_max_processing_jobs").getIntValue());
        assertEquals(0, stats().get("leonardo_repeated_creates").getLongValue());
    }

    @Test
    void withoutAConcurrencyLimit_everyJobProcessesAtOnce() throws Exception {
        // Given no concurrency limit (the default) and a pending phase long enough for the creates to overlap
        Duration pending = Duration.ofSeconds(2);
        reset(startup.toBuilder().pending(pending, pending).leonardoConcurrentJobs(0, 200).build());

        // When five jobs are created at once
        createAtOnce(5, "no slots");

        // Then all five process at once
        JsonNode s = stats();
        assertEquals(5, s.get("leonardo_max_processing_jobs").getIntValue());
        assertEquals(5, s.get("leonardo_max_concurrent_jobs").getIntValue());
    }

    @Test
    void pendingBound_aCreateWhileOneProcessesAndTwoWait_gets429_andOneMoreIsAcceptedOnceASlotFrees() throws Exception {
        // Given one slot, room for two waiting jobs, a 1 s pending phase
        reset(startup.toBuilder().pending(Duration.ofSeconds(1), Duration.ofSeconds(1)).leonardoConcurrentJobs(1, 2).build());
        BigDecimal balance = state.leonardoBalance();

        // When one job processes and two wait
        String processing = generationId(create("bound 1"));
        generationId(create("bound 2"));
        generationId(create("bound 3"));

        // Then a fourth create gets the 429 of the leonardo=429 fault, creating and charging nothing
        SandboxTestClient.Response fourth = create("bound 4");
        assertEquals(429, fourth.status(), fourth.text());
        assertEquals("{\"error\":\"Too many requests\",\"path\":\"$\",\"code\":\"rate-limit-exceeded\"}", fourth.text());
        assertFalse(fourth.header("retry-after").isPresent());
        assertEquals(3, stats.leonardoCreatesAccepted());
        assertEquals(balance.subtract(COST.multiply(BigDecimal.valueOf(3))), state.leonardoBalance());
        JsonNode s = stats();
        assertEquals(1, s.get("leonardo_queue_full_creates").getLongValue());
        assertEquals(0, s.get("leonardo_rate_limited_creates").getLongValue());
        assertEquals(1, s.get("leonardo_max_processing_jobs").getIntValue());

        // And once the first completes (the second takes its slot, one waits), one more is accepted and the next refused
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> "COMPLETE".equals(status(processing)));
        assertEquals(200, create("bound 5").status());
        assertEquals(429, create("bound 6").status());
        assertEquals(2, stats().get("leonardo_queue_full_creates").getLongValue());
        assertEquals(4, stats.leonardoCreatesAccepted());
    }

    // ---- repeated creates ----

    @Test
    void repeatedCreates_countASecondJobWithAnEarlierPrompt_notDistinctPromptsNorRefusedCreates_andReset() throws Exception {
        // Given jobs with three distinct prompts
        for (String prompt : List.of("a red fox", "a blue whale", "a green frog")) {
            generationId(create(prompt));
        }
        assertEquals(0, stats().get("leonardo_repeated_creates").getLongValue());

        // When a job repeats one of them
        generationId(create("a red fox"));

        // Then it is counted
        assertEquals(1, stats().get("leonardo_repeated_creates").getLongValue());

        // And refused creates neither count nor are remembered: a refused repeat, then a refused new prompt and its job
        assertEquals(500, create("a blue whale", SandboxKeys.FAULT_HEADER, "leonardo=500").status());
        assertEquals(500, create("a grey owl", SandboxKeys.FAULT_HEADER, "leonardo=500").status());
        generationId(create("a grey owl"));
        assertEquals(1, stats().get("leonardo_repeated_creates").getLongValue());

        // And after a stats reset the earlier prompts are forgotten
        assertEquals(204, client.post("/sandbox/stats/reset", "").status());
        generationId(create("a red fox"));
        assertEquals(0, stats().get("leonardo_repeated_creates").getLongValue());
        generationId(create("a red fox"));
        assertEquals(1, stats().get("leonardo_repeated_creates").getLongValue());
    }

    // ---- helpers ----

    /** Creates {@code count} jobs with distinct prompts from as many threads at once; their generation ids. */
    private List<String> createAtOnce(int count, String prompt) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            List<Callable<SandboxTestClient.Response>> calls = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String p = prompt + " " + i;
                calls.add(() -> create(p));
            }
            List<String> ids = new ArrayList<>();
            for (Future<SandboxTestClient.Response> f : pool.invokeAll(calls)) {
                ids.add(generationId(f.get()));
            }
            return ids;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A Phoenix create with {@code prompt}, and extra header name/value pairs. */
    private SandboxTestClient.Response create(String prompt, String... headers) throws Exception {
        List<String> all = new ArrayList<>(List.of(AUTH));
        all.addAll(List.of(headers));
        String body = phoenix(512, 512, 1).replace("an orange cat on a blue ball", prompt);
        return client.post(BASE + "/generations", body, all.toArray(String[]::new));
    }

    private static String generationId(SandboxTestClient.Response created) {
        assertEquals(200, created.status(), created.text());
        return created.json().get("sdGenerationJob").get("generationId").getStringValue();
    }

    private SandboxTestClient.Response poll(String id) throws Exception {
        return client.get(BASE + "/generations/" + id, AUTH);
    }

    private static JsonNode generation(SandboxTestClient.Response poll) {
        return poll.json().get("generations_by_pk");
    }

    /** The job's status; fails unless the poll answers 200. */
    private String status(String id) throws Exception {
        SandboxTestClient.Response r = poll(id);
        assertEquals(200, r.status(), r.text());
        return generation(r).get("status").getStringValue();
    }

    private JsonNode stats() throws Exception {
        SandboxTestClient.Response r = client.get("/sandbox/stats");
        assertEquals(200, r.status(), r.text());
        return r.json();
    }
}
