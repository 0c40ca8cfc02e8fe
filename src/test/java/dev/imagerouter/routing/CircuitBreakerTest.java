package dev.imagerouter.routing;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void leonardoServerErrors_openTheBreaker_thenOpenAiServesWithoutCallingLeonardo_andATrialCloseIt() {
        // Given two requests whose Leonardo calls fail with 500 (2 calls each, with the retry)
        generate("leonardo=500");
        long beforeOpening = System.nanoTime(); // the breaker opens during the next request
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

        // After the configured 400 ms in OPEN, one trial call is let through and its success closes the breaker;
        // until then every request is served by OpenAI without a Leonardo call
        ApiClient.Response trial = await("a trial call reaches Leonardo").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> generate(null), r -> {
                    assertEquals(200, r.status(), r.text());
                    if (!"leonardo-phoenix".equals(r.router().get("provider"))) {
                        assertEquals("CIRCUIT_OPEN", r.attempts().get(0).get("failure_kind"), r.text());
                        return false;
                    }
                    return true;
                });
        assertTrue(System.nanoTime() - beforeOpening >= Duration.ofMillis(400).toNanos(), "the trial came before the wait in OPEN");
        assertEquals(1, stats.leonardoCreates(), "only the trial called Leonardo");
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
