package dev.imagerouter.api;

import dev.imagerouter.history.GenerationHistory;
import dev.imagerouter.sandbox.EmulatorType;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #2 acceptance: the whole chain end to end over real HTTP against the sandbox emulators. */
@MicronautTest
class WalkingSkeletonTest extends SandboxHttpTest {

    @Inject
    GenerationHistory history;

    private static String prompt() {
        return "a lighthouse at dusk " + UUID.randomUUID();
    }

    @Test
    void noFault_servesLeonardoImageOfRequestedSize_afterOneCreateAndPolls() {
        // Given a healthy chain. When a 1536x864 image is asked for
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\",\"size\":\"1536x864\"}");

        // Then Leonardo made it, with one create and at least one poll
        assertEquals(200, r.status(), r.text());
        assertEquals("leonardo-phoenix", r.router().get("provider"));
        assertEquals("leonardo-phoenix", r.header("X-Router-Provider"));
        assertNotNull(r.header("X-Request-Id"));
        assertEquals(1, stats.leonardoCreates());
        assertTrue(stats.leonardoPolls() >= 1, "polls: " + stats.leonardoPolls());
        assertEquals(0, stats.openAiGenerates());
        // and the URL serves a PNG of exactly the requested size
        String url = (String) r.data().get(0).get("url");
        ApiClient.Response file = api.get(url);
        assertEquals(200, file.status());
        assertTrue(RouterTestSupport.isPng(file.body()));
        assertArrayEquals(new int[]{1536, 864}, RouterTestSupport.imageSize(file.body()));
        assertTrue(r.json().get("created") instanceof Number);
    }

    @Test
    void b64JsonResponseFormat_returnsTheImageInline_onAMissAndOnACacheHit() {
        String body = "{\"prompt\":\"" + prompt() + "\",\"size\":\"512x768\",\"response_format\":\"b64_json\"}";
        for (String expectedCache : new String[]{"MISS", "HIT"}) {
            ApiClient.Response r = api.generate(body);

            assertEquals(200, r.status(), r.text());
            assertEquals(expectedCache, r.header("X-Router-Cache"));
            String b64 = (String) r.data().get(0).get("b64_json");
            assertNotNull(b64, r.text());
            assertTrue(r.data().get(0).get("url") == null);
            byte[] png = java.util.Base64.getDecoder().decode(b64);
            assertTrue(RouterTestSupport.isPng(png));
            assertArrayEquals(new int[]{512, 768}, RouterTestSupport.imageSize(png));
        }
    }

    @Test
    void leonardoRateLimited_fallsBackToOpenAi_withoutRetryingLeonardo() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\",\"size\":\"1536x864\"}",
                "X-Sandbox-Fault", "leonardo=429");

        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));
        assertEquals(1, stats.leonardoCreates());
        assertEquals(1, stats.openAiGenerates());
        List<Map<String, Object>> attempts = r.attempts();
        assertEquals("RATE_LIMITED", attempts.get(0).get("failure_kind"));
        assertEquals(429, ((Number) attempts.get(0).get("http_status")).intValue());
        assertEquals("success", attempts.get(1).get("outcome"));
        byte[] png = api.get((String) r.data().get(0).get("url")).body();
        assertArrayEquals(new int[]{1536, 864}, RouterTestSupport.imageSize(png));
    }

    @Test
    void leonardoServerError_isRetriedOnceAfterBackoff_thenFallsBack() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\"}", "X-Sandbox-Fault", "leonardo=500");

        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));
        assertEquals(2, stats.leonardoCreates());
        List<Long> times = stats.createTimestamps(EmulatorType.LEONARDO);
        long gapMillis = (times.get(1) - times.get(0)) / 1_000_000;
        assertTrue(gapMillis >= 300 && gapMillis < 1500, "gap between the two creates: " + gapMillis + " ms (backoff 300 ms)");
        assertEquals(List.of("SERVER_ERROR", "SERVER_ERROR"),
                r.attempts().subList(0, 2).stream().map(a -> a.get("failure_kind")).toList());
    }

    @Test
    void leonardoJobStaysPending_fallsBackWhenProviderTimeoutPasses() {
        long start = System.nanoTime();
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\"}", "X-Sandbox-Fault", "leonardo=timeout");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));
        assertEquals("TIMEOUT", r.attempts().get(0).get("failure_kind"));
        assertTrue(millis >= 3000, "fell back after " + millis + " ms; the Leonardo timeout is 3 s");
        long pollsAtFallback = stats.leonardoPolls();
        assertTrue(pollsAtFallback >= 2);
    }

    @Test
    void leonardoGenerationFailed_fallsBack_andLogsPromptWithGenerationId() {
        String prompt = prompt();
        try (LogCapture logs = new LogCapture()) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt + "\"}", "X-Sandbox-Fault", "leonardo=failed");

            assertEquals(200, r.status(), r.text());
            assertEquals("openai-gpt-image-2", r.router().get("provider"));
            assertEquals("GENERATION_FAILED", r.attempts().get(0).get("failure_kind"));
            assertTrue(logs.lines().stream().anyMatch(l -> l.startsWith("WARN") && l.contains(prompt)
                            && l.contains("GENERATION_FAILED")
                            && l.matches(".*generation [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} FAILED.*")),
                    "no WARN line with the prompt and generation id: " + logs.lines());
        }
    }

    @Test
    void bothProvidersFailing_answers502WithTrail_andStoresNothing() throws IOException {
        Path dir = Path.of(property("router.storage.dir"));
        // the earlier answers' thumbnails and history lines are written after those answers: wait for them
        await().atMost(Duration.ofSeconds(10)).until(() -> history.backlog() == 0);
        long filesBefore = countFiles(dir);

        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\"}", "X-Sandbox-Fault", "leonardo=failed,openai=500");

        assertEquals(502, r.status(), r.text());
        Map<String, Object> error = r.error();
        assertTrue(error.containsKey("message") && error.containsKey("type") && error.containsKey("param")
                && error.containsKey("code"), "OpenAI error shape: " + error);
        assertEquals("all_providers_failed", error.get("code"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> trail = (List<Map<String, Object>>) r.router().get("attempts");
        assertEquals("GENERATION_FAILED", trail.get(0).get("failure_kind"));
        assertEquals("SERVER_ERROR", trail.get(trail.size() - 1).get("failure_kind"));
        assertEquals(filesBefore, countFiles(dir));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{not json                                 | invalid_json               | ",
            "{\"size\":\"1024x1024\"}                  | missing_required_parameter | prompt",
            "{\"prompt\":\"x\",\"n\":5}                | invalid_value              | n",
            "{\"prompt\":\"x\",\"n\":0}                | invalid_value              | n",
            "{\"prompt\":\"x\",\"n\":\"two\"}          | invalid_type               | n",
            "{\"prompt\":\"x\",\"size\":\"big\"}       | invalid_value              | size",
            "{\"prompt\":\"x\",\"size\":\"1001x1000\"} | invalid_value              | size",
            "{\"prompt\":\"x\",\"size\":\"64x64\"}     | invalid_value              | size",
            "{\"prompt\":\"x\",\"quality\":\"ultra\"}  | invalid_value              | quality",
            "{\"prompt\":\"x\",\"bogus\":1}            | unknown_parameter          | bogus",
            "[1,2]                                     | invalid_json               | ",
    })
    void badInput_answers400NamingTheParam(String body, String code, String param) {
        ApiClient.Response r = api.generate(body);

        assertEquals(400, r.status(), r.text());
        assertEquals(code, r.error().get("code"));
        assertEquals(param, r.error().get("param"));
        assertEquals("invalid_request_error", r.error().get("type"));
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
    }

    private static long countFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
