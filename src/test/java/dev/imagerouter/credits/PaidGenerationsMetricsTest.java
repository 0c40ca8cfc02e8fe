package dev.imagerouter.credits;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** image_router_paid_generations_total{provider,used} is exported at 0 and counts each paid generation. */
@MicronautTest
class PaidGenerationsMetricsTest extends SandboxHttpTest {

    static final String LEONARDO = "leonardo-phoenix";
    static final String OPENAI = "openai-gpt-image-2";

    @Test
    void paidCounterStartsAtZeroForBothValuesOfUsed_andASuccessCountsUsedTrue_forTheProviderThatServedIt() {
        // Given a fresh router: every provider of the chain at 0, used and unused
        for (String provider : List.of(LEONARDO, OPENAI)) {
            assertEquals(0.0, paid(provider, "true"), provider);
            assertEquals(0.0, paid(provider, "false"), provider);
        }
        double openAiCost = api.prometheusSample("image_router_cost_usd_total", "provider", OPENAI);

        // When Leonardo serves one request, and OpenAI one that Leonardo refused (429: not paid)
        String leoBody = "{\"prompt\":\"" + prompt("paid") + "\"}";
        ApiClient.Response leo = api.generate(leoBody);
        assertEquals(LEONARDO, leo.router().get("provider"), leo.text());
        ApiClient.Response oa = api.generate("{\"prompt\":\"" + prompt("paid") + "\"}", "X-Sandbox-Fault", "leonardo=429");
        assertEquals(OPENAI, oa.router().get("provider"), oa.text());

        // Then each counts one used paid generation, and the refused Leonardo call none
        assertEquals(1.0, paid(LEONARDO, "true"));
        assertEquals(0.0, paid(LEONARDO, "false"));
        assertEquals(1.0, paid(OPENAI, "true"));
        assertEquals(0.0, paid(OPENAI, "false"));
        // and OpenAI's cost was counted with it
        assertTrue(api.prometheusSample("image_router_cost_usd_total", "provider", OPENAI) > openAiCost);
        // and a cache hit is not a paid generation
        assertEquals("HIT", api.generate(leoBody).header("X-Router-Cache"));
        assertEquals(1.0, paid(LEONARDO, "true"));
    }

    private double paid(String provider, String used) {
        return api.prometheusSample("image_router_paid_generations_total", "provider", provider, "used", used);
    }
}
