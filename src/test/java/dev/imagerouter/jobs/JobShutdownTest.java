package dev.imagerouter.jobs;

import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end of a shutdown's grace: once the job store is frozen, nothing that happens to a job's
 * generation afterwards (here: it fails, as a teardown would make it fail) changes the job, in memory
 * or on disk, so an accepted Leonardo job keeps its generationId for the restart and is never marked
 * failed. GracefulShutdownProcessTest covers the whole signal path; this one the guard itself.
 */
@MicronautTest
class JobShutdownTest extends SandboxHttpTest {

    @Inject
    JobService jobs;
    @Inject
    GenerationService generations;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.sandbox.pending-min", "30s"); // the job stays accepted and running for the whole test
        p.put("router.sandbox.pending-max", "30s");
        p.put("router.providers.leonardo-phoenix.timeout", "60s");
    }

    @Test
    void aFrozenStore_keepsAnAcceptedJobRunningWithItsGenerationId_whenItsGenerationFailsAfterwards() {
        ApiClient.Response created = api.generate("{\"prompt\":\"" + prompt("accepted at the end of the grace") + "\"}",
                "Prefer", "respond-async");
        assertEquals(202, created.status(), created.text());
        String id = (String) created.json().get("id");
        Path file = Path.of(property("router.storage.dir")).resolve("jobs").resolve("active").resolve(id + ".json");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.isRegularFile(file)
                && Files.readString(file).contains("\"job_id\":\""));
        String stored = read(file);

        jobs.freeze();
        assertEquals(1, generations.abandonInFlight(), "the job's generation fails, as a teardown would make it");

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> read(file).equals(stored));
        assertTrue(stored.contains("\"status\":\"running\""), stored);
        Map<String, Object> job = api.get("/v1/images/jobs/" + id).json();
        assertEquals("running", job.get("status"), job.toString());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
