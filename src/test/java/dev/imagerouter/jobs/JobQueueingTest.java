package dev.imagerouter.jobs;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rule scaled down: 30 async jobs against Leonardo's limits set small (the emulator
 * refuses more than 10 creates per 2 s and runs 3 jobs at once; the router's provider file says the
 * same) are all served by Leonardo, with no OpenAI call and never more than 3 concurrent jobs.
 * bench/jobs-limits.sh runs the full-size version (300 jobs, 100/min, 10 concurrent).
 */
@MicronautTest
class JobQueueingTest extends SandboxHttpTest {

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.sandbox.pending-min", "900ms");
        p.put("router.sandbox.pending-max", "1000ms");
        p.put("router.sandbox.leonardo-create-limit", "10");
        p.put("router.sandbox.leonardo-create-window", "2s");
        p.put("router.sandbox.leonardo-concurrent-jobs", "3");
        p.put("router.providers.leonardo-phoenix.resilience.limit-for-period", "10");
        p.put("router.providers.leonardo-phoenix.resilience.limit-refresh-period", "2s");
        p.put("router.providers.leonardo-phoenix.resilience.max-concurrent-calls", "3");
        p.put("router.jobs.max-wait", "60s");
    }

    @Test
    void thirtyJobsAgainstLeonardosLimits_areAllServedByLeonardo_neverAboveItsConcurrency() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("queued " + i) + "\"}", "Prefer", "respond-async");
            assertEquals(202, r.status(), r.text());
            ids.add((String) r.json().get("id"));
        }
        assertTrue(api.prometheusSample("image_router_job_queue_depth") > 0, "jobs wait in the queue");
        for (String id : ids) {
            Map<String, Object> job = await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/v1/images/jobs/" + id).json(),
                    j -> "succeeded".equals(j.get("status")) || "failed".equals(j.get("status")));
            assertEquals("succeeded", job.get("status"), job.toString());
            assertEquals("leonardo-phoenix", ((Map<?, ?>) ((Map<?, ?>) job.get("result")).get("router")).get("provider"),
                    job.toString());
        }
        assertEquals(30, stats.leonardoCreates());
        assertEquals(0, stats.openAiGenerates(), "no fallback to the pricier provider");
        assertTrue(stats.leonardoMaxConcurrentJobs() <= 3, "concurrent jobs: " + stats.leonardoMaxConcurrentJobs());
        assertEquals(3, stats.leonardoMaxConcurrentJobs(), "the queue keeps Leonardo's slots busy");
        assertTrue(api.prometheusSample("image_router_job_queue_wait_seconds_count", "provider", "leonardo-phoenix",
                "outcome", "admitted") >= 30);
        assertEquals(0.0, api.prometheusSample("image_router_job_queue_depth"));
    }
}
