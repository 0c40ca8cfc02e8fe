package dev.imagerouter.lifecycle;

import dev.imagerouter.sandbox.SandboxSettings;
import dev.imagerouter.sandbox.SandboxState;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.WebhookReceiver;
import io.micronaut.core.type.Argument;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leonardo v2's models list ({@code GET /api/rest/v2/models}) read at startup and by the model lifecycle check: a
 * file that names its catalog entry and is missing from a list that was read is skipped ({@code MODEL_UNAVAILABLE})
 * and alerted; a list that failed skips nothing; a file naming no entry is never checked. Chain: FLUX.2 Pro
 * ({@code catalog-name: FLUX.2 Pro}, which the emulator leaves out of its list), GPT Image 2 via Leonardo
 * ({@code catalog-name: GPT Image 2}, whose list checks all answer 500), OpenAI. Checks every 300 ms.
 */
@MicronautTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeonardoModelsListTest extends SandboxHttpTest {

    static final String FLUX = "leonardo-flux-pro-2";
    static final String GPT = "leonardo-gpt-image-2";
    static final String OPENAI = "openai-gpt-image-2";

    private final WebhookReceiver webhook = new WebhookReceiver();

    @Inject
    SandboxState sandbox;
    @Inject
    ModelLifecycle lifecycle;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", FLUX + "," + GPT + "," + OPENAI);
        for (String v2 : List.of(FLUX, GPT)) {
            p.put("router.providers." + v2 + ".enabled", "true");
            p.put("router.providers." + v2 + ".model-check.interval", "300ms");
            p.put("router.providers." + v2 + ".poll.initial-delay", "50ms");
            p.put("router.providers." + v2 + ".daily-budget-credits", "100000000");
        }
        p.put("router.providers." + FLUX + ".catalog-name", "FLUX.2 Pro");
        p.put("router.providers." + GPT + ".catalog-name", "GPT Image 2");
        p.put("router.sandbox.leonardo-unlisted-models", "FLUX.2 Pro");
        p.put("router.sandbox.faults", GPT + ".models=500");
        p.put("router.alerts.webhook-url", webhook.url());
    }

    @AfterAll
    void tearDown() {
        webhook.close();
    }

    @Test
    @Order(1)
    void aModelMissingFromTheList_isSkippedAndAlerted_aFailedListSkipsNothing() {
        // Then at startup: FLUX.2 Pro is found missing (one alert, gauge 0); GPT Image 2's list failed (state unknown)
        awaitTrue(() -> stats.leonardoV2ModelLists() >= 4, "list checks repeat");
        List<Map<String, Object>> alerts = awaitAlerts("MODEL_UNAVAILABLE", "firing", 1);
        assertEquals(1, alerts.size(), webhook.accepted().toString());
        assertEquals(FLUX, alerts.get(0).get("provider"));
        assertTrue(alerts.get(0).get("message").toString().contains("FLUX.2 Pro"), alerts.get(0).toString());
        assertEquals(0.0, api.prometheusSample("image_router_model_available", "provider", FLUX, "model", "flux-pro-2.0"), 0.0);
        assertTrue(Double.isNaN(api.prometheusSample("image_router_model_available", "provider", GPT, "model", "gpt-image-2")),
                "a list that failed decides nothing");
        assertFalse(lifecycle.unavailable(GPT));

        // When a request comes: FLUX is skipped without a call, GPT Image 2 (its list unread) serves
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("a models list") + "\"}");
        assertEquals(200, r.status(), r.text());
        Map<String, Object> skipped = r.attempts().get(0);
        assertEquals(FLUX, skipped.get("provider"));
        assertEquals("skipped", skipped.get("outcome"));
        assertEquals("MODEL_UNAVAILABLE", skipped.get("reason"));
        assertEquals(GPT, r.router().get("provider"), r.text());
        assertEquals(1, stats.leonardoV2Creates(), "only GPT Image 2's create");
        assertTrue(stats.leonardoCreateBodies().get(0).contains("\"model\":\"gpt-image-2\""));
    }

    @Test
    @Order(2)
    void theModelListedAgain_resolvesTheAlert_andFluxServesAgain() {
        SandboxSettings before = sandbox.settings();
        try {
            sandbox.configure(true, before.toBuilder().leonardoUnlistedModels(Set.of()).build());

            awaitTrue(() -> !lifecycle.unavailable(FLUX), "a check finds FLUX.2 Pro listed");
            assertEquals(1, awaitAlerts("MODEL_UNAVAILABLE", "resolved", 1).size());
            assertEquals(1.0, api.prometheusSample("image_router_model_available", "provider", FLUX, "model", "flux-pro-2.0"), 0.0);
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("listed again") + "\"}");
            assertEquals(FLUX, r.router().get("provider"), r.text());
        } finally {
            sandbox.configure(true, before);
        }
    }

    /** Waits (at most 10 s) until {@code condition} holds; fails naming {@code what} otherwise. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        await(what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }

    private List<Map<String, Object>> alerts(String alert, String status) {
        return webhook.accepted().stream().map(this::parse)
                .filter(a -> alert.equals(a.get("alert")) && status.equals(a.get("status"))).toList();
    }

    private List<Map<String, Object>> awaitAlerts(String alert, String status, int count) {
        awaitTrue(() -> alerts(alert, status).size() >= count, count + " × " + alert + " " + status);
        return alerts(alert, status);
    }

    private Map<String, Object> parse(String body) {
        try {
            return json.readValue(body, Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("webhook body is not JSON: " + body, e);
        }
    }
}
