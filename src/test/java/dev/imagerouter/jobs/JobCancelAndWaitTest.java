package dev.imagerouter.jobs;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queued jobs behind one Leonardo slot (the provider's concurrency set to 1, each job ~1 s):
 * cancelling, the progress stream, and the bound on unfinished jobs.
 */
@MicronautTest
class JobCancelAndWaitTest extends SandboxHttpTest {

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.sandbox.pending-min", "1s");
        p.put("router.sandbox.pending-max", "1s");
        p.put("router.providers.leonardo-phoenix.resilience.max-concurrent-calls", "1");
        p.put("router.jobs.max-wait", "60s");
        p.put("router.jobs.max-queued", "3");
    }

    private String create(String what) {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt(what) + "\"}", "Prefer", "respond-async");
        assertEquals(202, r.status(), r.text());
        return (String) r.json().get("id");
    }

    private Map<String, Object> awaitEnd(String id) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/images/jobs/" + id).json(),
                j -> List.of("succeeded", "failed", "cancelled").contains(j.get("status")));
    }

    @Test
    void aQueuedJob_isCancelled_andNeverCalled_whileARunningOneCannotBe() {
        String running = create("first");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats.leonardoCreates() == 1);
        String queued = create("second");
        assertEquals("queued", api.get("/v1/images/jobs/" + queued).json().get("status"));

        ApiClient.Response cancelled = api.send(api.request("/v1/images/jobs/" + queued).DELETE().build());
        assertEquals(200, cancelled.status(), cancelled.text());
        assertEquals("cancelled", cancelled.json().get("status"));
        ApiClient.Response refused = api.send(api.request("/v1/images/jobs/" + running).DELETE().build());
        assertEquals(409, refused.status(), refused.text());
        assertEquals("job_not_cancellable", refused.error().get("code"));

        assertEquals("succeeded", awaitEnd(running).get("status"));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> stats.leonardoCreates() == 1);
        assertEquals(0, stats.openAiGenerates());
        assertEquals("cancelled", api.get("/v1/images/jobs/" + queued).json().get("status"));
    }

    @Test
    void unfinishedJobsBeyondMaxQueued_areRefusedWith429() {
        List<String> ids = new ArrayList<>(List.of(create("a"), create("b"), create("c")));
        ApiClient.Response full = api.generate("{\"prompt\":\"" + prompt("d") + "\"}", "Prefer", "respond-async");
        assertEquals(429, full.status(), full.text());
        assertEquals("too_many_jobs", full.error().get("code"));
        assertTrue(full.header("Retry-After") != null);
        ids.forEach(id -> assertEquals("succeeded", awaitEnd(id).get("status")));
        create("e"); // room again
    }

    @Test
    void theEventStream_showsTheJobFromQueuedToSucceeded() throws Exception {
        String first = create("ahead");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats.leonardoCreates() == 1);
        String id = create("watched");
        HttpResponse<java.io.InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(api.base() + "/v1/images/jobs/" + id + "/events")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> names = new ArrayList<>();
        String lastData = null;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("event:")) {
                    names.add(line.substring(6).trim());
                } else if (line.startsWith("data:")) {
                    lastData = line.substring(5).trim();
                }
            }
        }
        assertEquals("job", names.get(0), names.toString());
        assertEquals("succeeded", names.get(names.size() - 1), names.toString());
        assertTrue(names.contains("attempt_started") && names.contains("attempt"), names.toString());
        Map<?, ?> job = json.readValue(lastData, Map.class);
        assertEquals(id, job.get("id"));
        assertEquals("succeeded", job.get("status"));
        awaitEnd(first);
    }

    @Test
    void aSynchronousRequest_neverWaitsBehindQueuedJobs_itKeepsTodaysFallback() {
        String running = create("holds the slot");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats.leonardoCreates() == 1);
        String queued = create("waits for the slot");
        ApiClient.Response sync = api.generate("{\"prompt\":\"" + prompt("in a hurry") + "\"}");
        assertEquals(200, sync.status(), sync.text());
        assertEquals("openai-gpt-image-2", sync.router().get("provider"));
        // skipped at once for the full slot (it did not queue for it), as a synchronous request always was
        assertEquals("BULKHEAD_FULL", sync.attempts().get(0).get("reason"), sync.text());
        assertEquals("succeeded", awaitEnd(running).get("status"));
        Map<String, Object> later = awaitEnd(queued);
        assertEquals("leonardo-phoenix", ((Map<?, ?>) ((Map<?, ?>) later.get("result")).get("router")).get("provider"));
    }

    @Test
    void aSynchronousRequestThatJoinedAQueuedJob_getsItsOwnGeneration_whenTheJobIsCancelled() throws Exception {
        String running = create("holds the slot for a while");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats.leonardoCreates() == 1);
        String body = "{\"prompt\":\"" + prompt("asked twice") + "\"}";
        ApiClient.Response job = api.generate(body, "Prefer", "respond-async");
        assertEquals(202, job.status(), job.text());
        String queued = (String) job.json().get("id");
        assertEquals("queued", api.get("/v1/images/jobs/" + queued).json().get("status"));
        // the same request, synchronously: it joins the queued job's generation (one flight per request hash)
        java.util.concurrent.CompletableFuture<ApiClient.Response> sync =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> api.generate(body));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !sync.isDone());
        ApiClient.Response cancelled = api.send(api.request("/v1/images/jobs/" + queued).DELETE().build());
        assertEquals(200, cancelled.status(), cancelled.text());

        ApiClient.Response answer = sync.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, answer.status(), answer.text()); // its own generation, not the job's cancellation (was a 500)
        assertEquals(Boolean.FALSE, answer.router().get("cached"), answer.text());
        assertEquals("cancelled", api.get("/v1/images/jobs/" + queued).json().get("status"));
        assertEquals("succeeded", awaitEnd(running).get("status"));
    }
}
