package dev.imagerouter.routing;

import dev.imagerouter.config.RouterRuntime;
import dev.imagerouter.provider.leonardo.LeonardoProvider;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TIMEOUT row's {@code wait-for-accepted-job: true}: the caller waits for an accepted job past
 * the attempt's timeout, up to the provider's {@code job-max-age}, after which the job is given up
 * (paid, unused) and no poll happens any more.
 */
@MicronautTest
class WaitForAcceptedJobTest extends SandboxHttpTest {

    private static final String LEONARDO = "leonardo-phoenix";
    private static final String OPENAI = "openai-gpt-image-2";

    @Inject
    RouterRuntime runtime;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.policy.TIMEOUT.wait-for-accepted-job", "true");
        p.put("router.providers.leonardo-phoenix.timeout", "500ms");
        p.put("router.providers.leonardo-phoenix.job-max-age", "2s");
        p.put("router.sandbox.late-after", "500ms");
    }

    private LeonardoProvider leonardo() {
        return (LeonardoProvider) runtime.chain().find(LEONARDO).orElseThrow().provider();
    }

    @Test
    void aLateJob_isWaitedFor_insteadOfPayingTheFallback() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("waited for") + "\"}", "X-Sandbox-Fault", "leonardo=late");

        assertEquals(200, r.status(), r.text());
        assertEquals(LEONARDO, r.router().get("provider"), r.text());
        assertEquals(1, stats.leonardoCreates());
        assertEquals(0, stats.openAiGenerates(), "the fallback was not paid");
    }

    @Test
    void aJobThatNeverEnds_isGivenUpAtJobMaxAge_thenNothingPollsIt() {
        double unusedBefore = api.prometheusSample("image_router_paid_generations_total", "provider", LEONARDO, "used", "false");

        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("never ends") + "\"}", "X-Sandbox-Fault", "leonardo=timeout");

        assertEquals(200, r.status(), r.text());
        assertEquals(OPENAI, r.router().get("provider"), "after job-max-age the TIMEOUT row's fallback runs");
        assertTrue(String.valueOf(r.attempts().get(0).get("reason")).contains("job-max-age"), r.text());
        assertEquals(0, leonardo().activeJobs(), "the job was given up");
        assertEquals(unusedBefore + 1, api.prometheusSample("image_router_paid_generations_total", "provider", LEONARDO,
                "used", "false"), "a job given up is counted paid and unused");
        long polls = stats.leonardoPolls();
        assertTrue(polls > 0);
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2)).until(() -> stats.leonardoPolls() == polls);
    }
}
