package dev.imagerouter.lifecycle;

import dev.imagerouter.sandbox.SandboxSettings;
import dev.imagerouter.sandbox.SandboxState;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.MutableClock;
import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.WebhookReceiver;
import io.micronaut.core.type.Argument;
import io.micronaut.test.annotation.MockBean;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model shutdown dates from both sources, on an injected clock: the provider file says 2027-02-01,
 * the models API (the emulator) announces 2027-01-15, so 2027-01-15 wins; the shipped, disabled
 * gpt-image-1 file exports its 2026-10-23 but never alerts. MODEL_SHUTDOWN_SOON fires once at each
 * of 30, 7 and 1 days before; from the date on OpenAI is skipped without a call. The tests run in
 * order on one clock; {@link ModelShutdowns#tick()} is called directly after each clock move, so
 * "once" is checked without waiting for the scheduled ticks.
 */
@MicronautTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModelShutdownDatesTest extends SandboxHttpTest {

    static final String OPENAI = "openai-gpt-image-2";
    static final String LEONARDO = "leonardo-phoenix";
    static final String ALERT = "ALERT MODEL_SHUTDOWN_SOON firing";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T12:00:00Z"));
    private final LogCapture logs = new LogCapture();
    private final WebhookReceiver webhook = new WebhookReceiver();

    @Inject
    SandboxState sandbox;
    @Inject
    ModelShutdowns shutdowns;
    @Inject
    ModelLifecycle lifecycle;

    @MockBean(Clock.class)
    Clock clock() {
        return clock;
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", OPENAI + "," + LEONARDO);
        p.put("router.providers.openai-gpt-image-2.shutdown-date", "2027-02-01");
        p.put("router.providers.openai-gpt-image-2.model-check.interval", "200ms");
        p.put("router.sandbox.openai-shutdown-dates", "gpt-image-2=2027-01-15");
        p.put("router.alerts.webhook-url", webhook.url());
    }

    @AfterAll
    void tearDown() {
        webhook.close();
        logs.close();
    }

    @Test
    @Order(1)
    void theEarlierDateIsExported_forEveryConfiguredProvider_disabledOnesIncluded() {
        // Then, once the model check has read the announced date, it wins over the file's later one
        awaitTrue(() -> lifecycle.reportedShutdownDate(OPENAI, "gpt-image-2").isPresent(), "a model check reads shutdown_date");
        shutdowns.tick();
        assertEquals(seconds("2027-01-15"), metric(OPENAI, "gpt-image-2"), 0.0);
        assertEquals(seconds("2026-10-23"), metric("openai-gpt-image-1", "gpt-image-1"), 0.0);
        assertTrue(logs.lines().stream().anyMatch(l -> l.contains("model shutdown date provider=" + OPENAI)
                && l.contains("date=2027-01-15") && l.contains("models API")), logs.lines().toString());
        // 41 days ahead: no alert yet, and the retired, disabled gpt-image-1 never alerts
        assertEquals(0, alertLines().size(), alertLines().toString());
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("before the date") + "\"}");
        assertEquals(OPENAI, r.router().get("provider"), r.text());
        // GET /admin/chain (the console's chain table) shows the date, the days left and the daily budgets
        Map<String, Map<String, Object>> chain = chainByName();
        assertEquals("2027-01-15", chain.get(OPENAI).get("model_shutdown_date"));
        assertEquals(41, ((Number) chain.get(OPENAI).get("model_shutdown_days_left")).intValue());
        assertFalse(chain.get(LEONARDO).containsKey("model_shutdown_date"), "no date known for Leonardo");
        assertEquals(1_000_000, ((Number) chain.get(OPENAI).get("daily_budget_usd")).intValue());
        assertEquals(100_000_000, ((Number) chain.get(LEONARDO).get("daily_budget_credits")).intValue());
    }

    @SuppressWarnings("unchecked")
    private Map<String, Map<String, Object>> chainByName() {
        Map<String, Map<String, Object>> byName = new java.util.HashMap<>();
        for (Map<String, Object> p : (List<Map<String, Object>>) api.get("/admin/chain").json().get("providers")) {
            byName.put((String) p.get("name"), p);
        }
        return byName;
    }

    @Test
    @Order(2)
    void eachLeadTimeFiresExactlyOnce_asTheClockCrossesIt() {
        clock.set(Instant.parse("2026-12-15T23:59:59Z")); // a second before 30 days ahead
        tickThrice();
        assertEquals(0, alertLines().size());

        clock.set(Instant.parse("2026-12-16T00:00:00Z")); // exactly 30 days ahead
        tickThrice();
        assertEquals(1, alertLines().size(), alertLines().toString());
        Map<String, Object> first = awaitWebhookAlerts(1).get(0);
        assertEquals(OPENAI, first.get("provider"));
        assertEquals("warning", first.get("severity"));
        assertTrue(first.get("message").toString().contains("gpt-image-2 shuts down on 2027-01-15 (30 days left"), first.toString());

        clock.set(Instant.parse("2027-01-01T08:00:00Z")); // 13.7 days ahead: nothing new
        tickThrice();
        assertEquals(1, alertLines().size());

        clock.set(Instant.parse("2027-01-08T00:00:00Z")); // 7 days
        tickThrice();
        assertEquals(2, alertLines().size(), alertLines().toString());
        assertEquals("critical", awaitWebhookAlerts(2).get(1).get("severity"));

        clock.set(Instant.parse("2027-01-14T06:00:00Z")); // 18 hours: the 1-day lead time
        tickThrice();
        assertEquals(3, alertLines().size(), alertLines().toString());
        assertTrue(awaitWebhookAlerts(3).get(2).get("message").toString().contains("less than a day left"));

        // And the scheduled ticks add nothing, nor does a disabled file with a past date
        long checks = stats.openAiModelLookups();
        awaitTrue(() -> stats.openAiModelLookups() >= checks + 8, "more model checks and at least one scheduled tick");
        assertEquals(3, alertLines().size(), alertLines().toString());
        assertTrue(alertLines().stream().allMatch(l -> l.contains("provider=" + OPENAI)), alertLines().toString());
    }

    @Test
    @Order(3)
    void fromTheDateOn_openAiIsSkippedWithoutACall_andLeonardoServes() {
        clock.set(Instant.parse("2027-01-15T00:00:00Z"));
        shutdowns.tick();

        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("on the date") + "\"}");

        assertEquals(200, r.status(), r.text());
        assertEquals(LEONARDO, r.router().get("provider"));
        Map<String, Object> skipped = r.attempts().get(0);
        assertEquals(OPENAI, skipped.get("provider"));
        assertEquals("skipped", skipped.get("outcome"));
        assertEquals("MODEL_UNAVAILABLE", skipped.get("reason"));
        assertEquals(0, stats.openAiGenerates());
        assertEquals(3, alertLines().size(), "no lead-time alert on or after the date");
    }

    @Test
    @Order(4)
    void anAnnouncementWithdrawn_fallsBackToTheFileDate() {
        SandboxSettings before = sandbox.settings();
        try {
            sandbox.configure(true, before.toBuilder().openaiShutdownDates(Map.of()).build());
            awaitTrue(() -> lifecycle.reportedShutdownDate(OPENAI, "gpt-image-2").isEmpty(), "a check without shutdown_date");
            shutdowns.tick();

            assertEquals(seconds("2027-02-01"), metric(OPENAI, "gpt-image-2"), 0.0);
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("after withdrawal") + "\"}");
            assertEquals(OPENAI, r.router().get("provider"), r.text());
        } finally {
            sandbox.configure(true, before);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void tickThrice() {
        for (int i = 0; i < 3; i++) {
            shutdowns.tick();
        }
    }

    private List<String> alertLines() {
        return logs.lines().stream().filter(l -> l.contains(ALERT)).toList();
    }

    private List<Map<String, Object>> awaitWebhookAlerts(int count) {
        awaitTrue(() -> webhookAlerts().size() >= count, count + " MODEL_SHUTDOWN_SOON at the webhook");
        return webhookAlerts();
    }

    private List<Map<String, Object>> webhookAlerts() {
        return webhook.accepted().stream().map(this::parse)
                .filter(a -> ModelShutdowns.MODEL_SHUTDOWN_SOON.equals(a.get("alert"))).toList();
    }

    private Map<String, Object> parse(String body) {
        try {
            return json.readValue(body, Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new AssertionError("webhook body is not JSON: " + body, e);
        }
    }

    private double metric(String provider, String model) {
        return api.prometheusSample("image_router_model_shutdown_timestamp_seconds", "provider", provider, "model", model);
    }

    private static double seconds(String date) {
        return LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    /** Waits (at most 10 s) until {@code condition} holds; fails naming {@code what} otherwise. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        await(what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }
}
