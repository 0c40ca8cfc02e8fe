package dev.imagerouter.routing;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue #3: Leonardo's circuit breaker opens after the configured number of unhealthy failures,
 * the router then skips Leonardo without calling it, and after the (short, configured) wait a
 * HALF_OPEN trial call that succeeds closes it again. Failures that say nothing about health do
 * not count.
 */
@MicronautTest
class CircuitBreakerTest extends SandboxHttpTest {

    @Inject
    ProviderResilience resilience;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.providers.leonardo-phoenix.resilience.minimum-calls", "4");
        p.put("router.providers.leonardo-phoenix.resilience.sliding-window-size", "4");
        p.put("router.providers.leonardo-phoenix.resilience.failure-rate-threshold", "50");
        p.put("router.providers.leonardo-phoenix.resilience.wait-in-open", "400ms");
        p.put("router.providers.leonardo-phoenix.resilience.permitted-calls-in-half-open", "1");
        p.put("router.policy.SERVER_ERROR.backoff", "10ms");
    }

    @BeforeEach
    void setUp() {
        breaker().reset();
    }

    private CircuitBreaker breaker() {
        return resilience.circuitBreakers().find("leonardo-phoenix").orElseThrow();
    }

    private ApiClient.Response generate(String faults) {
        String body = "{\"prompt\":\"breaker " + UUID.randomUUID() + "\"}";
        return faults == null ? api.generate(body) : api.generate(body, "X-Sandbox-Fault", faults);
    }

    @Test
    void leonardoServerErrors_openTheBreaker_thenOpenAiServesWithoutCallingLeonardo_andATrialCloseIt() throws Exception {
        // Given two requests whose Leonardo calls fail with 500 (2 calls each, with the retry)
        generate("leonardo=500");
        generate("leonardo=500");
        assertEquals(CircuitBreaker.State.OPEN, breaker().getState());
        stats.reset();

        // When the next request arrives, Leonardo is skipped without a call
        ApiClient.Response skipped = generate(null);
        assertEquals(200, skipped.status(), skipped.text());
        assertEquals("openai-gpt-image-2", skipped.router().get("provider"));
        assertEquals(0, stats.leonardoCreates());
        assertEquals("CIRCUIT_OPEN", skipped.attempts().get(0).get("failure_kind"));
        assertEquals("skipped", skipped.attempts().get(0).get("outcome"));

        // After the configured 400 ms in OPEN, one trial call is let through and its success closes the breaker
        Thread.sleep(450);
        ApiClient.Response trial = generate(null);
        assertEquals("leonardo-phoenix", trial.router().get("provider"), trial.text());
        assertEquals(1, stats.leonardoCreates());
        assertEquals(CircuitBreaker.State.CLOSED, breaker().getState());
    }

    @Test
    void failuresThatSayNothingAboutHealth_doNotOpenTheBreaker() {
        for (int i = 0; i < 5; i++) {
            ApiClient.Response r = generate("leonardo=auth");
            assertEquals("openai-gpt-image-2", r.router().get("provider"));
        }
        assertEquals(CircuitBreaker.State.CLOSED, breaker().getState());
        assertEquals(5, stats.leonardoCreates());
    }
}
