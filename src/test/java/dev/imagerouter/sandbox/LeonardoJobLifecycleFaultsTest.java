package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.imagerouter.sandbox.LeonardoEmulatorTest.AUTH;
import static dev.imagerouter.sandbox.LeonardoEmulatorTest.BASE;
import static dev.imagerouter.sandbox.LeonardoEmulatorTest.phoenix;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Leonardo faults that exercise a paid job's lifecycle ({@code poll_500}, {@code late}) and the
 * {@code /sandbox/stats} counters that show it ({@code leonardo_creates}, {@code leonardo_polls},
 * {@code leonardo_max_concurrent_jobs}), over real HTTP.
 *
 * <p>The router is started with {@code leonardo-phoenix}'s timeout at 1 s and {@code late-after} at 1 s, so
 * the emulator learns that instance's timeout from the running configuration. The emulator runs on
 * {@link System#nanoTime()} (no injectable clock), so the timed tests wait with Awaitility and check
 * the moment COMPLETE is first seen: never before the deadline, and well before the wrong deadline.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeonardoJobLifecycleFaultsTest extends EmulatorTest implements TestPropertyProvider {

    static final Duration PHOENIX_TIMEOUT = Duration.ofSeconds(1);
    static final Duration LATE_AFTER = Duration.ofSeconds(1);
    static final Duration LATE_TIMEOUT = Duration.ofSeconds(20);

    /** The settings the router's configuration gave the emulators at startup. */
    private SandboxSettings startup;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "router.sandbox.mode", "true",
                "router.sandbox.pending-min", "50ms",
                "router.sandbox.pending-max", "50ms",
                "router.sandbox.late-after", LATE_AFTER.toMillis() + "ms",
                "router.sandbox.late-timeout", LATE_TIMEOUT.toSeconds() + "s",
                "router.providers.leonardo-phoenix.timeout", PHOENIX_TIMEOUT.toMillis() + "ms");
    }

    @BeforeAll
    void captureStartupSettings() {
        startup = state.settings();
    }

    @BeforeEach
    void setUp() {
        reset(startup);
    }

    // ---- poll_500 ----

    @Test
    void poll500_firstFourPollsAnswer500_thenPollsAnswer_andTheJobCompletes() throws Exception {
        // Given a job created under poll_500 (the create itself succeeds and is charged)
        SandboxTestClient.Response created = create("leonardo=poll_500", null);
        assertEquals(200, created.status(), created.text());
        String id = generationId(created);
        // and a job created without faults beside it
        String plain = generationId(create(null, null));

        // When it is polled four times, each answers Leonardo's 500 body
        for (int i = 1; i <= 4; i++) {
            SandboxTestClient.Response poll = poll(id);
            assertEquals(500, poll.status(), "poll " + i + ": " + poll.text());
            assertEquals("{\"error\":\"internal error\",\"path\":\"$\",\"code\":\"unexpected\"}", poll.text());
        }

        // Then every later poll answers 200, and the job completes with its image
        List<Integer> later = new ArrayList<>();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
            SandboxTestClient.Response poll = poll(id);
            later.add(poll.status());
            return poll.status() == 200 && "COMPLETE".equals(generation(poll).get("status").getStringValue());
        });
        assertTrue(later.stream().allMatch(s -> s == 200), "polls after the fourth: " + later);
        JsonNode done = generation(poll(id));
        assertEquals(1, done.get("generated_images").size());
        assertEquals(200, client.get(SandboxKeys.LEONARDO_CDN_PATH + "/" + id + "/0.png").status());
        // and the job beside it never failed a poll
        assertEquals(200, poll(plain).status());
        assertEquals(1, stats.faultsInjected(EmulatorType.LEONARDO, SandboxFault.POLL_500));
        assertEquals(2, stats.leonardoCreatesAccepted());
    }

    // ---- late ----

    @Test
    void late_knownInstance_staysPendingForItsTimeoutPlusLateAfter_thenCompletes() throws Exception {
        // Given the configuration's late settings reached the emulator
        assertEquals(LATE_AFTER, startup.lateAfter());
        assertEquals(LATE_TIMEOUT, startup.lateTimeout());

        // When leonardo-phoenix (timeout 1 s in the running configuration) creates a job under late
        // Then it completes 1 s + 1 s after its creation, not at late-timeout (20 s) + 1 s
        assertPendingThenComplete("leonardo-phoenix", PHOENIX_TIMEOUT.plus(LATE_AFTER), Duration.ofSeconds(8));
    }

    @ParameterizedTest(name = "X-Sandbox-Provider: \"{0}\"")
    @ValueSource(strings = {"leonardo-elsewhere", ""})
    void late_unknownInstance_usesLateTimeout(String provider) throws Exception {
        // Given late-timeout 1.5 s and late-after 0.5 s: 2 s, where leonardo-phoenix's timeout would give 1.5 s
        reset(startup.toBuilder().late(Duration.ofMillis(500), Duration.ofMillis(1500)).build());

        assertPendingThenComplete(provider.isEmpty() ? null : provider, Duration.ofSeconds(2), Duration.ofSeconds(8));
    }

    /**
     * Creates a job under {@code late} as {@code provider}; asserts it is PENDING at once, that COMPLETE is never
     * seen before {@code pending} has passed since the create was sent, and that it is seen within {@code atMost}.
     */
    private void assertPendingThenComplete(String provider, Duration pending, Duration atMost) throws Exception {
        long sent = System.nanoTime();
        String id = generationId(create("leonardo=late", provider));

        assertEquals("PENDING", status(id));
        await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> "COMPLETE".equals(status(id)));
        long seenMs = (System.nanoTime() - sent) / 1_000_000;

        assertTrue(seenMs >= pending.toMillis(), "COMPLETE seen " + seenMs + " ms after the create; expected PENDING for "
                + pending.toMillis() + " ms");
        assertEquals(1, generation(poll(id)).get("generated_images").size());
        assertEquals(1, stats.faultsInjected(EmulatorType.LEONARDO, SandboxFault.LATE));
    }

    // ---- /sandbox/stats ----

    @Test
    void maxConcurrentJobs_countsOverlappingPendingJobs_keepsItsMaximum_andResets() throws Exception {
        // Given late jobs pending for 3 s (late-timeout 0 + late-after 3 s, no X-Sandbox-Provider)
        reset(startup.toBuilder().late(Duration.ofSeconds(3), Duration.ZERO).build());
        assertEquals(0, stats().get("leonardo_max_concurrent_jobs").getIntValue());

        // When three are created together
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(generationId(create("leonardo=late", null)));
        }

        // Then three were pending at once
        JsonNode s = stats();
        assertEquals(3, s.get("leonardo_max_concurrent_jobs").getIntValue());
        assertEquals(3, s.get("leonardo_creates").getLongValue());
        assertEquals(0, s.get("leonardo_polls").getLongValue());

        // And once they have completed, a new job leaves the maximum at 3
        int[] polls = {0};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (String id : ids) {
                polls[0]++;
                if (!"COMPLETE".equals(status(id))) {
                    return false;
                }
            }
            return true;
        });
        create(null, null);
        s = stats();
        assertEquals(3, s.get("leonardo_max_concurrent_jobs").getIntValue());
        assertEquals(4, s.get("leonardo_creates").getLongValue());
        assertEquals(polls[0], s.get("leonardo_polls").getLongValue());

        // And after a reset, one new job is one
        assertEquals(204, client.post("/sandbox/stats/reset", "").status());
        create(null, null);
        s = stats();
        assertEquals(1, s.get("leonardo_max_concurrent_jobs").getIntValue());
        assertEquals(1, s.get("leonardo_creates").getLongValue());
        assertEquals(0, s.get("leonardo_polls").getLongValue());
    }

    @Test
    void maxConcurrentJobs_jobsOneAfterAnother_isOne() throws Exception {
        // Given a job that has completed
        String first = generationId(create(null, null));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> "COMPLETE".equals(status(first)));

        // When a second one is created
        create(null, null);

        // Then they never overlapped, though two were created and polls were counted
        JsonNode s = stats();
        assertEquals(1, s.get("leonardo_max_concurrent_jobs").getIntValue());
        assertEquals(2, s.get("leonardo_creates").getLongValue());
        assertEquals(stats.leonardoPolls(first), s.get("leonardo_polls").getLongValue());
        assertTrue(s.get("leonardo_polls").getLongValue() >= 1);
    }

    @Test
    void createsAndPollsCountEveryAnswer_refusedCreatesAndFailedPollsToo() throws Exception {
        // Given a refused create (429) and a job whose polls fail (poll_500)
        assertEquals(429, create("leonardo=429", null).status());
        String id = generationId(create("leonardo=poll_500", null));

        // When it is polled twice (both 500) and an unknown id once
        assertEquals(500, poll(id).status());
        assertEquals(500, poll(id).status());
        assertEquals(200, poll("0b9f7f5e-1111-4222-8333-444455556666").status());

        // Then every call counted; the refused create made no job
        JsonNode s = stats();
        assertEquals(2, s.get("leonardo_creates").getLongValue());
        assertEquals(3, s.get("leonardo_polls").getLongValue());
        assertEquals(1, s.get("leonardo_max_concurrent_jobs").getIntValue());
    }

    // ---- helpers ----

    private SandboxTestClient.Response create(String fault, String provider) throws Exception {
        List<String> headers = new ArrayList<>(List.of(AUTH));
        if (fault != null) {
            headers.addAll(List.of(SandboxKeys.FAULT_HEADER, fault));
        }
        if (provider != null) {
            headers.addAll(List.of(SandboxKeys.PROVIDER_HEADER, provider));
        }
        return client.post(BASE + "/generations", phoenix(512, 512, 1), headers.toArray(String[]::new));
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
