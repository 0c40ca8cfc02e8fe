package dev.imagerouter.credits;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Daily budgets hold against concurrent requests: 20 distinct requests sent at once against a budget
 * of 3 requests' cost make at most 4 provider calls (counted by the emulators' GET /sandbox/stats);
 * the rest skip the provider with trail reason BUDGET without calling it. Here Leonardo's budget, in
 * API credits (the emulator charges 8 per image, the configured estimate is 8); OpenAI's, in USD, is
 * {@link OpenAiDailyBudgetHttpTest}.
 */
@MicronautTest
class DailyBudgetsHttpTest extends SandboxHttpTest {

    static final String LEONARDO = "leonardo-phoenix";
    static final String OPENAI = "openai-gpt-image-2";
    static final int CONCURRENT = 20;

    private final LogCapture logs = new LogCapture();

    @Inject
    DailyBudgets budgets;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.providers.leonardo-phoenix.daily-budget-credits", "24");          // 3 one-image requests
        p.put("router.providers.leonardo-phoenix.expected-cost-per-image.credits", "8");
        // no other limit may turn the requests away: only the budget
        p.put("router.providers.leonardo-phoenix.resilience.max-concurrent-calls", "100");
        p.put("router.providers.leonardo-phoenix.timeout", "20s");
        p.put("router.providers.openai-gpt-image-2.timeout", "20s");
    }

    @AfterAll
    void closeLogs() {
        logs.close();
    }

    @Test
    void twentyConcurrentLeonardoRequests_againstABudgetOfThree_makeAtMostFourCreates_andTheRestSkipForBudget() {
        // When 20 distinct one-image requests arrive at once
        List<ApiClient.Response> answers = concurrently("{\"prompt\":\"%s\"}");

        // Then Leonardo was called 3 times, 4 at most (the budget overshoots by one request at most)
        long creates = stat("leonardo_creates");
        assertTrue(creates >= 3 && creates <= 4, "leonardo creates: " + creates);
        // and today's spend is what those creates cost, and no more than one request over the budget
        BigDecimal spent = budgets.spentToday(LEONARDO, "CREDITS");
        assertEquals(0, BigDecimal.valueOf(8 * creates).compareTo(spent), spent.toPlainString());
        assertTrue(spent.compareTo(new BigDecimal("32")) <= 0, spent.toPlainString());
        assertEquals(0, BigDecimal.ZERO.compareTo(budgets.reservedToday(LEONARDO, "CREDITS")));
        // and every other request skipped Leonardo for BUDGET, without a call, and fell back to OpenAI
        long byLeonardo = 0;
        for (ApiClient.Response r : answers) {
            assertEquals(200, r.status(), r.text());
            if (LEONARDO.equals(r.router().get("provider"))) {
                byLeonardo++;
                continue;
            }
            Map<String, Object> first = r.attempts().get(0);
            assertEquals(LEONARDO, first.get("provider"), r.text());
            assertEquals("skipped", first.get("outcome"), r.text());
            assertEquals("BUDGET", first.get("reason"), r.text());
            assertEquals(OPENAI, r.router().get("provider"));
        }
        assertEquals(creates, byLeonardo);
        // and the spend reaching the budget raised one BUDGET_EXCEEDED alert naming the credits budget
        await().atMost(Duration.ofSeconds(10)).until(() -> budgetAlerts(LEONARDO).size() == 1);
        assertTrue(budgetAlerts(LEONARDO).get(0).contains("daily-budget-credits 24"), budgetAlerts(LEONARDO).toString());
        assertEquals(24.0, api.prometheusSample("image_router_provider_daily_budget_credits", "provider", LEONARDO), 1e-9);
    }

    private List<ApiClient.Response> concurrently(String bodyTemplate) {
        return concurrently(api, bodyTemplate);
    }

    static List<ApiClient.Response> concurrently(ApiClient api, String bodyTemplate) {
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ApiClient.Response>> futures = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                String body = String.format(bodyTemplate, prompt("budget " + i));
                futures.add(pool.submit(() -> {
                    start.await();
                    return api.generate(body);
                }));
            }
            start.countDown();
            List<ApiClient.Response> out = new ArrayList<>();
            for (Future<ApiClient.Response> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            pool.shutdownNow();
        }
    }

    static long stat(ApiClient api, String name) {
        return ((Number) api.get("/sandbox/stats").json().get(name)).longValue();
    }

    private long stat(String name) {
        return stat(api, name);
    }

    private List<String> budgetAlerts(String provider) {
        return logs.lines().stream().filter(l -> l.contains("ALERT BUDGET_EXCEEDED") && l.contains(provider)).toList();
    }
}
