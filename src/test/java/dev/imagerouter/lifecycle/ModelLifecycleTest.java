package dev.imagerouter.lifecycle;

import dev.imagerouter.sandbox.SandboxSettings;
import dev.imagerouter.sandbox.SandboxState;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #5 acceptance: the configured OpenAI model is missing at startup (the emulator does not
 * serve {@value #RETIRED}, as the real API no longer serves gpt-image-1 since its shutdown on
 * 2026-10-23) → an
 * alert, OpenAI skipped, the chain still served by Leonardo; a later check that finds the model
 * puts OpenAI back. OpenAI is first in this chain so every request shows the skip. Checks run every
 * 300 ms here (default: daily), balance checks too (default: 5 min).
 */
@MicronautTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModelLifecycleTest extends SandboxHttpTest {

    static final String RETIRED = "gpt-image-retired";
    static final String OPENAI = "openai-gpt-image-2";
    static final String LEONARDO = "leonardo-phoenix";

    private final LogCapture logs = new LogCapture();
    private final WebhookReceiver webhook = new WebhookReceiver();

    @Inject
    SandboxState sandbox;
    @Inject
    ModelLifecycle lifecycle;


    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", OPENAI + "," + LEONARDO);
        p.put("router.providers.openai-gpt-image-2.model", RETIRED);
        p.put("router.providers.openai-gpt-image-2.model-check.interval", "300ms");
        p.put("router.providers.leonardo-phoenix.credits.check-interval", "300ms");
        p.put("router.alerts.webhook-url", webhook.url());
    }

    @AfterAll
    void tearDown() {
        webhook.close();
        logs.close();
    }

    @Test
    @Order(1)
    void modelMissingAtStartup_alertsOnce_skipsOpenAi_andLeonardoServes() {
        // Then at startup: one alert at the webhook and in the log, though the check keeps running every 300 ms
        awaitTrue(() -> stats.openAiModelLookups() >= 2, "model checks repeat");
        List<Map<String, Object>> alerts = awaitAlerts("MODEL_UNAVAILABLE", "firing", 1);
        assertEquals(1, alerts.size(), webhook.accepted().toString());
        assertEquals(OPENAI, alerts.get(0).get("provider"));
        assertEquals("critical", alerts.get(0).get("severity"));
        assertTrue(alerts.get(0).get("message").toString().contains(RETIRED), alerts.get(0).toString());
        assertEquals(1, logs.lines().stream().filter(l -> l.startsWith("ERROR") && l.contains("ALERT MODEL_UNAVAILABLE firing")
                && l.contains("provider=" + OPENAI)).count(), logs.lines().toString());
        assertEquals(0.0, metric("image_router_model_available", "provider", OPENAI, "model", RETIRED), 0.0);
        assertEquals(false, adminEntry(OPENAI).get("model_available"));

        // When requests arrive, OpenAI (first in the chain) is skipped and Leonardo serves
        for (int i = 0; i < 2; i++) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\"}");
            assertEquals(200, r.status(), r.text());
            assertEquals(LEONARDO, r.router().get("provider"));
            Map<String, Object> skipped = r.attempts().get(0);
            assertEquals(OPENAI, skipped.get("provider"));
            assertEquals("skipped", skipped.get("outcome"));
            assertEquals("MODEL_UNAVAILABLE", skipped.get("reason"));
        }
        assertEquals(0, stats.openAiGenerates());
        assertEquals(2, stats.leonardoCreates());
        assertTrue(stats.openAiModels().stream().allMatch(RETIRED::equals), stats.openAiModels().toString());
    }

    @Test
    @Order(2)
    void modelServedAgain_aLaterCheckResolvesTheAlert_andOpenAiServesAgain() {
        SandboxSettings before = sandbox.settings();
        Set<String> models = new HashSet<>(before.openaiAvailableModels());
        models.add(RETIRED);
        try {
            // When the model is back
            sandbox.configure(true, before.toBuilder().openaiAvailableModels(models).build());

            // Then the next scheduled check finds it: one resolved alert, gauge 1, OpenAI serves
            awaitTrue(() -> !lifecycle.unavailable(OPENAI), "a check finds the model");
            assertEquals(1, awaitAlerts("MODEL_UNAVAILABLE", "resolved", 1).size());
            assertEquals(1.0, metric("image_router_model_available", "provider", OPENAI, "model", RETIRED), 0.0);
            assertEquals(true, adminEntry(OPENAI).get("model_available"));
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\"}");
            assertEquals(OPENAI, r.router().get("provider"));
            assertEquals(1, r.attempts().size());
        } finally {
            sandbox.configure(true, before);
        }
        // And when it goes away again, the next check takes OpenAI out again with a new alert
        awaitTrue(() -> lifecycle.unavailable(OPENAI), "a check misses the model again");
        assertEquals(2, awaitAlerts("MODEL_UNAVAILABLE", "firing", 2).size());
    }

    @Test
    @Order(3)
    void creditBalance_isCheckedEveryCheckInterval() {
        long start = stats.leonardoMeCalls();
        awaitTrue(() -> stats.leonardoMeCalls() >= start + 3, "three scheduled balance checks");
        assertTrue(metric("image_router_credit_checks_total", "provider", LEONARDO, "result", "success") >= 3);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static String prompt() {
        return "a lighthouse at dusk " + UUID.randomUUID();
    }

    /** Waits (at most 10 s) until {@code condition} holds; fails naming {@code what} otherwise. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        await(what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> adminEntry(String provider) {
        ApiClient.Response chain = api.get("/admin/chain");
        assertEquals(200, chain.status(), chain.text());
        return ((List<Map<String, Object>>) chain.json().get("providers")).stream()
                .filter(p -> provider.equals(p.get("name"))).findFirst().orElseThrow();
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

    private double metric(String name, String... labels) {
        return api.prometheusSample(name, labels);
    }
}
