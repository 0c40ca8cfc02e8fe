package dev.imagerouter.routing;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #3: a request that would wait for a rate-limiter or bulkhead permit longer than its budget
 * falls back instead of queueing. Leonardo is limited to 1 create per minute and 1 call in flight.
 */
@MicronautTest
class ProviderLimitsTest extends SandboxHttpTest {

    @Inject
    ProviderResilience resilience;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.providers.leonardo-phoenix.resilience.max-concurrent-calls", "1");
        p.put("router.providers.leonardo-phoenix.resilience.limit-for-period", "2");
        p.put("router.providers.leonardo-phoenix.resilience.limit-refresh-period", "10m");
        p.put("router.providers.leonardo-phoenix.resilience.permit-wait", "0ms");
        p.put("router.sandbox.pending-min", "600ms");
        p.put("router.sandbox.pending-max", "600ms");
    }

    private ApiClient.Response generate() {
        return api.generate("{\"prompt\":\"limits " + UUID.randomUUID() + "\"}");
    }

    @Test
    void bulkheadFull_thenRateLimiterEmpty_fallBackWithoutCallingLeonardo() {
        // Given one generation holding Leonardo's only bulkhead slot (its job stays PENDING 600 ms)
        CompletableFuture<ApiClient.Response> holding = CompletableFuture.supplyAsync(this::generate);
        long deadline = System.nanoTime() + 5_000_000_000L;
        // the bulkhead is the account's, named after it (ProviderConfig.limitKey(): the key's variable)
        while (resilience.bulkheads().find("LEONARDO_API_KEY").orElseThrow().getMetrics().getAvailableConcurrentCalls() > 0
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }

        // When a second request arrives, it does not queue for the slot: OpenAI serves it
        ApiClient.Response second = generate();
        assertEquals("openai-gpt-image-2", second.router().get("provider"), second.text());
        assertEquals("SKIPPED", second.attempts().get(0).get("failure_kind"));
        assertEquals("BULKHEAD_FULL", second.attempts().get(0).get("reason"));
        assertEquals("leonardo-phoenix", holding.join().router().get("provider"));

        // And with both permits of the period used (the rate limiter sits outside the bulkhead, in the
        // documented order, so the refused second call used one too), the next request finds no
        // permit and does not wait 10 minutes for one
        long start = System.nanoTime();
        ApiClient.Response third = generate();
        assertTrue((System.nanoTime() - start) / 1_000_000 < 5_000);
        List<Map<String, Object>> trail = third.attempts();
        assertEquals("RATE_LIMITER", trail.get(0).get("reason"), third.text());
        assertEquals("openai-gpt-image-2", third.router().get("provider"));
        assertEquals(1, stats.leonardoCreates());
    }
}
