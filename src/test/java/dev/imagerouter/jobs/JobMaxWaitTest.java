package dev.imagerouter.jobs;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A job that waits longer than router.jobs.max-wait for Leonardo's slot falls back as the policy says. */
@MicronautTest
class JobMaxWaitTest extends SandboxHttpTest {

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.sandbox.pending-min", "2s");
        p.put("router.sandbox.pending-max", "2s");
        p.put("router.providers.leonardo-phoenix.resilience.max-concurrent-calls", "1");
        p.put("router.jobs.max-wait", "300ms");
    }

    @Test
    void aJobThatWaitsPastMaxWait_skipsTheProviderWithQueueTimeout_andFallsBack() {
        ApiClient.Response first = api.generate("{\"prompt\":\"" + prompt("holds the slot") + "\"}", "Prefer", "respond-async");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats.leonardoCreates() == 1);
        ApiClient.Response second = api.generate("{\"prompt\":\"" + prompt("waits") + "\"}", "Prefer", "respond-async");
        String id = (String) second.json().get("id");
        Map<String, Object> job = await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/v1/images/jobs/" + id).json(),
                j -> "succeeded".equals(j.get("status")) || "failed".equals(j.get("status")));
        assertEquals("succeeded", job.get("status"), job.toString());
        assertEquals("openai-gpt-image-2", ((Map<?, ?>) ((Map<?, ?>) job.get("result")).get("router")).get("provider"));
        Map<?, ?> skipped = (Map<?, ?>) ((List<?>) job.get("attempts")).get(0);
        assertEquals("leonardo-phoenix", skipped.get("provider"));
        assertEquals("skipped", skipped.get("outcome"));
        assertEquals("QUEUE_TIMEOUT", skipped.get("reason"), job.toString());
        assertEquals(1, stats.leonardoCreates());
        assertEquals(1.0, api.prometheusSample("image_router_job_queue_wait_seconds_count", "provider", "leonardo-phoenix",
                "outcome", "expired"));
        await().atMost(Duration.ofSeconds(10)).until(() ->
                "succeeded".equals(api.get("/v1/images/jobs/" + first.json().get("id")).json().get("status")));
    }
}
