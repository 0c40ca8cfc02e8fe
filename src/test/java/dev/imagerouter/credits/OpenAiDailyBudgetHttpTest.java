package dev.imagerouter.credits;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenAI's daily budget in USD holds against concurrent requests: on a chain of OpenAI alone, 20
 * distinct requests sent at once against a budget of 3 requests' expected cost (the per-image price
 * table: low 1024x1024 = 0.006 USD) make at most 4 calls; the rest are 503 {@code no_provider_available}
 * with OpenAI skipped for BUDGET. The spend settles to the answers' own costs (usage at token prices).
 */
@MicronautTest
class OpenAiDailyBudgetHttpTest extends SandboxHttpTest {

    static final String OPENAI = "openai-gpt-image-2";

    @Inject
    DailyBudgets budgets;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", OPENAI);
        p.put("router.providers.openai-gpt-image-2.daily-budget-usd", "0.018");        // 3 x 0.006
        p.put("router.providers.openai-gpt-image-2.timeout", "20s");
    }

    @Test
    void twentyConcurrentOpenAiRequests_againstABudgetOfThree_makeAtMostFourCalls_andTheRestAre503() {
        // When 20 distinct low-quality 1024x1024 requests (0.006 USD each by the price table) arrive at once
        List<ApiClient.Response> answers = DailyBudgetsHttpTest.concurrently(api, "{\"prompt\":\"%s\",\"quality\":\"low\",\"size\":\"1024x1024\"}");

        // Then OpenAI was called 3 times, 4 at most
        long generates = DailyBudgetsHttpTest.stat(api, "openai_generates");
        assertTrue(generates >= 3 && generates <= 4, "openai generates: " + generates);
        // and today's spend is the sum of the served answers' costs (usage at token prices)
        BigDecimal served = BigDecimal.ZERO;
        int ok = 0;
        for (ApiClient.Response r : answers) {
            if (r.status() == 200) {
                ok++;
                @SuppressWarnings("unchecked")
                Map<String, Object> cost = (Map<String, Object>) r.router().get("cost");
                assertEquals("USD", cost.get("unit"));
                served = served.add(new BigDecimal(cost.get("amount").toString()));
                continue;
            }
            // and the rest got 503 no_provider_available, OpenAI skipped for BUDGET without a call
            assertEquals(503, r.status(), r.text());
            assertEquals("no_provider_available", r.error().get("code"), r.text());
            for (Map<String, Object> a : r.attempts()) {
                assertEquals("BUDGET", a.get("reason"), r.text());
            }
        }
        assertEquals(generates, ok);
        BigDecimal spent = budgets.spentToday(OPENAI, "USD");
        assertEquals(0, served.compareTo(spent), served + " vs " + spent);
        assertTrue(spent.compareTo(new BigDecimal("0.018").add(served.divide(BigDecimal.valueOf(ok), java.math.MathContext.DECIMAL64))) <= 0,
                "more than one request over the budget: " + spent);
        assertEquals(0, BigDecimal.ZERO.compareTo(budgets.reservedToday(OPENAI, "USD")));
    }

}
