package dev.imagerouter.credits;

import dev.imagerouter.sandbox.SandboxStats;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Today's spend survives a restart: a first run of the application spends 16 of Leonardo's 24
 * daily credits and stops; a second run on the same storage directory starts at 16, allows one
 * more one-image request (8 credits) and then skips Leonardo for BUDGET.
 */
class DailyBudgetsRestartTest {

    static final String LEONARDO = "leonardo-phoenix";

    @Test
    void afterRestartOnTheSameStorageDir_todaysSpendIsTheSame_andTheBudgetStillHolds() {
        Map<String, Object> properties = new HashMap<>(RouterTestSupport.fastSandbox());
        properties.put("micronaut.server.port", -1);
        properties.put("router.providers.leonardo-phoenix.daily-budget-credits", "24");

        // Given a first run that paid for two one-image Leonardo generations (8 credits each)
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            ApiClient api = client(server);
            for (int i = 0; i < 2; i++) {
                ApiClient.Response r = api.generate(body());
                assertEquals(200, r.status(), r.text());
                assertEquals(LEONARDO, r.router().get("provider"));
            }
            assertEquals(0, new BigDecimal("16").compareTo(budgets(server).spentToday(LEONARDO, "CREDITS")));
        }

        // When a second run starts on the same storage directory
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            ApiClient api = client(server);
            SandboxStats stats = server.getApplicationContext().getBean(SandboxStats.class);
            stats.reset();

            // Then today's spend is the same, also in the admin view
            assertEquals(0, new BigDecimal("16").compareTo(budgets(server).spentToday(LEONARDO, "CREDITS")));
            assertEquals(0, new BigDecimal("16").compareTo(new BigDecimal(adminEntry(api, LEONARDO).get("spent_today_credits").toString())));
            // and the budget still holds: one more request fits (16 < 24), the next one skips Leonardo
            ApiClient.Response third = api.generate(body());
            assertEquals(LEONARDO, third.router().get("provider"), third.text());
            ApiClient.Response fourth = api.generate(body());
            assertEquals(200, fourth.status(), fourth.text());
            assertEquals("openai-gpt-image-2", fourth.router().get("provider"));
            assertEquals("skipped", fourth.attempts().get(0).get("outcome"));
            assertEquals("BUDGET", fourth.attempts().get(0).get("reason"));
            assertEquals(1, stats.leonardoCreates());
            assertEquals(0, new BigDecimal("24").compareTo(budgets(server).spentToday(LEONARDO, "CREDITS")));
        }
    }

    private static String body() {
        return "{\"prompt\":\"a budget that survives " + UUID.randomUUID() + "\"}";
    }

    private static DailyBudgets budgets(EmbeddedServer server) {
        return server.getApplicationContext().getBean(DailyBudgets.class);
    }

    private static ApiClient client(EmbeddedServer server) {
        return new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> adminEntry(ApiClient api, String provider) {
        ApiClient.Response chain = api.get("/admin/chain");
        assertEquals(200, chain.status(), chain.text());
        return ((List<Map<String, Object>>) chain.json().get("providers")).stream()
                .filter(p -> provider.equals(p.get("name"))).findFirst().orElseThrow();
    }
}
