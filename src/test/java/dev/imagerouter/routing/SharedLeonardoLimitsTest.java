package dev.imagerouter.routing;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One Leonardo key, two files: Phoenix (v1) and FLUX.2 Pro (v2) share the account's bulkhead (10 concurrent
 * jobs) and rate limiter, so together they never hold more than 10 Leonardo jobs, which the emulator counts
 * across v1 and v2 ({@code leonardo_max_concurrent_jobs} in {@code /sandbox/stats}). Chain: Phoenix, FLUX,
 * OpenAI; requests with {@code leonardo-phoenix=429} fall from Phoenix to FLUX.
 */
@MicronautTest
class SharedLeonardoLimitsTest extends SandboxHttpTest {

    static final String PHOENIX = "leonardo-phoenix";
    static final String FLUX = "leonardo-flux-pro-2";
    static final String OPENAI = "openai-gpt-image-2";
    static final String TO_FLUX = PHOENIX + "=429";

    private final ExecutorService clients = Executors.newFixedThreadPool(24);

    @Inject
    ProviderResilience resilience;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", PHOENIX + "," + FLUX + "," + OPENAI);
        p.put("router.providers." + FLUX + ".enabled", "true");
        // every job stays PENDING 1.5–2 s, so that jobs overlap; one-colour images keep 24 requests cheap
        p.put("router.sandbox.pending-min", "1500ms");
        p.put("router.sandbox.pending-max", "2s");
        p.put("router.sandbox.flat-images", "true");
        for (String leonardo : List.of(PHOENIX, FLUX)) {
            p.put("router.providers." + leonardo + ".timeout", "10s");
            p.put("router.providers." + leonardo + ".poll.initial-delay", "100ms");
            p.put("router.providers." + leonardo + ".poll.max-delay", "200ms");
            p.put("router.providers." + leonardo + ".daily-budget-credits", "100000000");
            // keep the breakers out of it: Phoenix's 429s must not open its circuit
            p.put("router.providers." + leonardo + ".resilience.minimum-calls", "10000");
            p.put("router.providers." + leonardo + ".resilience.sliding-window-size", "10000");
        }
    }

    @AfterAll
    void stopClients() {
        clients.shutdownNow();
    }

    private CompletableFuture<ApiClient.Response> send(String what, String... headers) {
        String body = "{\"prompt\":\"" + prompt(what) + "\",\"size\":\"256x256\"}";
        return CompletableFuture.supplyAsync(() -> api.generate(body, headers), clients);
    }

    private Bulkhead accountBulkhead() {
        return resilience.bulkheads().find("LEONARDO_API_KEY").orElseThrow();
    }

    private long emulatorStat(String name) {
        return ((Number) api.get("/sandbox/stats").json().get(name)).longValue();
    }

    @Test
    void phoenixAndFlux_getTheSameRateLimiterAndBulkhead() {
        ProviderHandle phoenix = runtime().find(PHOENIX).orElseThrow();
        ProviderHandle flux = runtime().find(FLUX).orElseThrow();
        assertSame(phoenix.resilience().bulkhead(), flux.resilience().bulkhead());
        assertSame(phoenix.resilience().rateLimiter(), flux.resilience().rateLimiter());
        assertEquals(10, accountBulkhead().getBulkheadConfig().getMaxConcurrentCalls());
        assertTrue(phoenix.resilience().circuitBreaker() != flux.resilience().circuitBreaker(), "breakers stay per provider");
    }

    @Test
    void tenPhoenixJobs_leaveNoSlotForFlux() {
        await().atMost(Duration.ofSeconds(15)).until(() -> accountBulkhead().getMetrics().getAvailableConcurrentCalls() == 10);
        // Given ten Phoenix jobs holding the account's ten slots
        List<CompletableFuture<ApiClient.Response>> phoenix = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            phoenix.add(send("phoenix holds a slot " + i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> accountBulkhead().getMetrics().getAvailableConcurrentCalls() == 0);

        // When a request that Phoenix would refuse comes, FLUX has no slot either: OpenAI serves it
        ApiClient.Response r = send("would go to flux", "X-Sandbox-Fault", TO_FLUX).join();
        assertEquals(200, r.status(), r.text());
        assertEquals(OPENAI, r.router().get("provider"), r.text());
        assertEquals("BULKHEAD_FULL", r.attempts().get(0).get("reason"), r.text());
        assertEquals(FLUX, r.attempts().get(1).get("provider"), r.text());
        assertEquals("BULKHEAD_FULL", r.attempts().get(1).get("reason"), "one account, one bulkhead: " + r.text());

        phoenix.forEach(f -> assertEquals(PHOENIX, f.join().router().get("provider"), f.join().text()));
        assertEquals(0, stats.leonardoV2Creates(), "FLUX was never called");
    }

    @Test
    void phoenixAndFlux_togetherNeverHoldMoreThanTenLeonardoJobs() {
        await().atMost(Duration.ofSeconds(15)).until(() -> accountBulkhead().getMetrics().getAvailableConcurrentCalls() == 10);
        assertEquals(204, api.post("/sandbox/stats/reset", "application/json", new byte[0]).status());

        // 24 requests at once, half of them falling from Phoenix to FLUX: separate limits would let each hold 10
        List<CompletableFuture<ApiClient.Response>> all = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            all.add(send("to phoenix " + i));
            all.add(send("to flux " + i, "X-Sandbox-Fault", TO_FLUX));
        }
        List<ApiClient.Response> answers = all.stream().map(CompletableFuture::join).toList();

        answers.forEach(r -> assertEquals(200, r.status(), r.text()));
        long byPhoenix = answers.stream().filter(r -> PHOENIX.equals(r.router().get("provider"))).count();
        long byFlux = answers.stream().filter(r -> FLUX.equals(r.router().get("provider"))).count();
        assertTrue(byPhoenix > 0 && byFlux > 0, "both files held jobs: phoenix " + byPhoenix + ", flux " + byFlux);
        long maxJobs = emulatorStat("leonardo_max_concurrent_jobs");
        assertTrue(maxJobs <= 10, "Leonardo saw " + maxJobs + " jobs at once");
        assertTrue(byPhoenix + byFlux <= 20 && emulatorStat("leonardo_v2_creates") > 0, api.get("/sandbox/stats").text());
    }

    private Chain runtime() {
        return server.getApplicationContext().getBean(dev.imagerouter.config.RouterRuntime.class).chain();
    }
}
