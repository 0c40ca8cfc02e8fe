package dev.imagerouter.credits;

import dev.imagerouter.alerts.Alert;
import dev.imagerouter.alerts.AlertService;
import dev.imagerouter.config.RouterRuntime;
import dev.imagerouter.vocabulary.GeneratedImage;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.sandbox.SandboxKeys;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #5 acceptance: credit balance, thresholds and hysteresis, skipping, failed balance checks,
 * cost counters, alert sinks (log and a local webhook), rate limiting and secrets — over real HTTP
 * against the sandbox emulators. Thresholds are those of providers/leonardo-phoenix.yml (warn 2000,
 * critical 500, skip 50, hysteresis 100); the emulator charges 8 credits per image. Checks are
 * triggered with {@link CreditMonitor#checkNow()} instead of waiting for the 5-minute schedule.
 */
@MicronautTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CreditsAndAlertsTest extends SandboxHttpTest {

    static final String LEONARDO = "leonardo-phoenix";
    static final String OPENAI = "openai-gpt-image-2";
    static final Duration WAIT = Duration.ofSeconds(10);

    // Created with the test instance, before the router starts, so that startup is captured too.
    private final LogCapture logs = new LogCapture();
    private final WebhookReceiver webhook = new WebhookReceiver();

    @Inject
    SandboxState sandbox;
    @Inject
    CreditMonitor credits;
    @Inject
    CostTracker costs;
    @Inject
    DailyBudgets budgets;
    @Inject
    AlertService alerts;
    @Inject
    RouterRuntime runtime;

    private SandboxSettings original;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.alerts.webhook-url", webhook.url());
        p.put("router.alerts.timeout", "2s");
        p.put("router.alerts.retries", "3");
        p.put("router.alerts.retry-backoff", "50ms");
        p.put("router.providers.leonardo-phoenix.credits.check-timeout", "500ms");
        p.put("router.providers.openai-gpt-image-2.daily-budget-usd", "2.00");
    }

    @BeforeEach
    void keepOriginalSettings() {
        if (original == null) {
            original = sandbox.settings();
        }
    }

    @AfterAll
    void tearDown() {
        webhook.close();
        logs.close();
    }

    // ---- balance, thresholds, hysteresis -------------------------------------------------------

    @Test
    @Order(1)
    void balanceCrossingWarnBelow_sendsExactlyOneWarnAlert_noRepeats_andOneResolvedAfterTopUpPastHysteresis() {
        // Given a balance just above warn-below (2000), known from a check
        baseline(new BigDecimal("2016"));
        int logMark = logs.lines().size();
        webhook.clear();

        // When three one-image generations cost 8 credits each: 2008, 2000 (not below), 1992
        for (int i = 0; i < 3; i++) {
            assertEquals(LEONARDO, generate("{\"prompt\":\"" + prompt() + "\"}").router().get("provider"));
        }
        // Then the balance was lowered by each reported cost, without a check in between
        assertEquals(0, new BigDecimal("1992").compareTo(credits.balance(LEONARDO).orElseThrow()));
        assertEquals(0, sandbox.leonardoBalance().compareTo(credits.balance(LEONARDO).orElseThrow()));
        assertEquals(1992.0, metric("image_router_provider_credits", "provider", LEONARDO), 1e-9);
        // and exactly one warn alert reached the webhook
        List<Map<String, Object>> warn = awaitAlerts("CREDITS_WARN", "firing", 1);
        assertEquals(1, warn.size());
        assertEquals("warning", warn.get(0).get("severity"));
        assertEquals(LEONARDO, warn.get(0).get("provider"));
        assertEquals(0, new BigDecimal("1992").compareTo(new BigDecimal(warn.get(0).get("value").toString())));
        assertEquals(0, new BigDecimal("2000").compareTo(new BigDecimal(warn.get(0).get("threshold").toString())));
        assertTrue(warn.get(0).get("text").toString().contains("CREDITS_WARN"), warn.get(0).toString());
        assertTrue(warn.get(0).get("message").toString().contains("1992"), warn.get(0).toString());

        // When more generations and a check keep the balance below warn-below
        generate("{\"prompt\":\"" + prompt() + "\"}");
        generate("{\"prompt\":\"" + prompt() + "\"}");
        credits.checkNow().join();
        assertEquals(0, new BigDecimal("1976").compareTo(credits.balance(LEONARDO).orElseThrow()));
        // and a top-up to 2050 stays inside the hysteresis margin (2000 + 100)
        sandbox.setLeonardoBalance(new BigDecimal("2050"));
        credits.checkNow().join();
        assertEquals(CreditLevel.WARN, credits.level(LEONARDO));
        assertTrue(logs.lines().subList(logMark, logs.lines().size()).stream().noneMatch(l -> l.contains("resolved")),
                "resolved inside the hysteresis margin");
        // and then a top-up past it
        sandbox.setLeonardoBalance(new BigDecimal("2200"));
        credits.checkNow().join();

        // Then exactly one resolved alert followed, and nothing else about credits
        List<Map<String, Object>> resolved = awaitAlerts("CREDITS_WARN", "resolved", 1);
        assertEquals(1, resolved.size());
        assertEquals(1, alerts("CREDITS_WARN", "firing").size());
        assertEquals(2, webhookAlerts().stream().filter(a -> a.get("alert").toString().startsWith("CREDITS_")).count(),
                webhook.accepted().toString());
        // and the log has the same two alerts, each once, on one line
        List<String> alertLines = logs.lines().subList(logMark, logs.lines().size()).stream()
                .filter(l -> l.contains("ALERT CREDITS_")).toList();
        assertEquals(2, alertLines.size(), alertLines.toString());
        assertTrue(alertLines.get(0).startsWith("WARN") && alertLines.get(0).contains("ALERT CREDITS_WARN firing"), alertLines.get(0));
        assertTrue(alertLines.get(1).contains("ALERT CREDITS_WARN resolved"), alertLines.get(1));
    }

    @Test
    @Order(2)
    void balanceBelowSkipBelow_servesFromOpenAiWithNoLeonardoCreates_untilTopUpAndNextCheck() {
        // Given a balance below skip-below (50)
        baseline(new BigDecimal("40"));
        stats.reset();

        // When requests arrive
        ApiClient.Response first = generate("{\"prompt\":\"" + prompt() + "\"}");
        ApiClient.Response second = generate("{\"prompt\":\"" + prompt() + "\"}");

        // Then OpenAI serves them, Leonardo is skipped for CREDITS and never called
        for (ApiClient.Response r : List.of(first, second)) {
            assertEquals(OPENAI, r.router().get("provider"));
            Map<String, Object> skipped = r.attempts().get(0);
            assertEquals(LEONARDO, skipped.get("provider"));
            assertEquals("skipped", skipped.get("outcome"));
            assertEquals("SKIPPED", skipped.get("failure_kind"));
            assertEquals("CREDITS", skipped.get("reason"));
        }
        assertEquals(0, stats.leonardoCreates());
        assertEquals(1, awaitAlerts("CREDITS_SKIP", "firing", 1).size());

        // When the account is topped up, requests keep going to OpenAI until the next check
        sandbox.setLeonardoBalance(new BigDecimal("10000"));
        assertEquals(OPENAI, generate("{\"prompt\":\"" + prompt() + "\"}").router().get("provider"));
        assertEquals(0, stats.leonardoCreates());
        credits.checkNow().join();

        // Then Leonardo is used again
        ApiClient.Response after = generate("{\"prompt\":\"" + prompt() + "\"}");
        assertEquals(LEONARDO, after.router().get("provider"));
        assertEquals(1, after.attempts().size());
        assertEquals(1, stats.leonardoCreates());
        assertEquals(1, awaitAlerts("CREDITS_SKIP", "resolved", 1).size());
    }

    @ParameterizedTest(name = "GET /me {0}")
    @Order(3)
    @CsvSource({"500, SERVER_ERROR", "timeout, TIMEOUT"})
    void failingBalanceCheck_keepsLastBalance_countsAndLogsTheFailure_requestsUnaffected(String fault, String kind) {
        // Given a known balance
        baseline(new BigDecimal("7777"));
        double failuresBefore = metric("image_router_credit_checks_total", "provider", LEONARDO, "result", "failure");
        int logMark = logs.lines().size();
        try {
            // and GET /me failing (the fault targets the balance check only: creates are not affected)
            sandbox.configure(true, original.toBuilder().faults(LEONARDO + CreditMonitor.SANDBOX_SUFFIX + "=" + fault).build());
            sandbox.setLeonardoBalance(new BigDecimal("5555"));

            // When a check runs
            long start = System.nanoTime();
            credits.checkNow().join();
            long checkMillis = (System.nanoTime() - start) / 1_000_000;

            // Then the last balance is kept, the failure counted and logged, within the check timeout
            assertEquals(0, new BigDecimal("7777").compareTo(credits.balance(LEONARDO).orElseThrow()));
            assertEquals(7777.0, metric("image_router_provider_credits", "provider", LEONARDO), 1e-9);
            assertEquals(failuresBefore + 1, metric("image_router_credit_checks_total", "provider", LEONARDO, "result", "failure"), 1e-9);
            assertTrue(checkMillis < 3000, "check took " + checkMillis + " ms");
            assertTrue(logs.lines().subList(logMark, logs.lines().size()).stream().anyMatch(l -> l.startsWith("WARN")
                    && l.contains("credit check failed provider=" + LEONARDO + " failure_kind=" + kind)
                    && l.contains("kept_balance=7777")), logs.lines().subList(logMark, logs.lines().size()).toString());
            // and requests are served by Leonardo as before
            ApiClient.Response r = generate("{\"prompt\":\"" + prompt() + "\"}");
            assertEquals(LEONARDO, r.router().get("provider"));
            assertEquals(1, r.attempts().size());
            assertEquals(1, stats.leonardoCreates());
        } finally {
            sandbox.configure(true, original);
        }
    }

    // ---- cost ----------------------------------------------------------------------------------

    @Test
    @Order(4)
    void costCounters_matchLeonardoReportedCredits_andOpenAiUsageAtTokenPrices_forAKnownMix() {
        baseline(new BigDecimal("9000"));
        double openAiBefore = metric("image_router_cost_usd_total", "provider", OPENAI);
        double leonardoBefore = metric("image_router_cost_usd_total", "provider", LEONARDO);

        // Leonardo: 1 image and 2 images at 8 credits each (reported as cost.amount in CREDITS)
        assertCost(generate("{\"prompt\":\"" + prompt() + "\"}"), LEONARDO, "8", "CREDITS");
        assertCost(generate("{\"prompt\":\"" + prompt() + "\",\"n\":2}"), LEONARDO, "16", "CREDITS");
        // OpenAI (Leonardo rate limited): the answer's usage at the token prices of providers/openai-gpt-image-2.yml
        String fault = "leonardo=429";
        BigDecimal openAi = BigDecimal.ZERO;
        openAi = openAi.add(assertTokenCost(generate("{\"prompt\":\"" + prompt() + "\",\"quality\":\"low\",\"size\":\"1024x1024\"}", fault), 200));
        openAi = openAi.add(assertTokenCost(generate("{\"prompt\":\"" + prompt() + "\",\"quality\":\"high\",\"size\":\"1536x1024\",\"n\":2}", fault), 2 * 5500));
        openAi = openAi.add(assertTokenCost(generate("{\"prompt\":\"" + prompt() + "\",\"quality\":\"medium\",\"size\":\"1024x1536\"}", fault), 1367));
        openAi = openAi.add(assertTokenCost(generate("{\"prompt\":\"" + prompt() + "\",\"size\":\"1024x1024\"}", fault), 1767)); // auto → medium

        // Then the USD counter grew by exactly the costs of the answers' tokens, Leonardo's credits are not dollars
        assertEquals(openAi.doubleValue(), metric("image_router_cost_usd_total", "provider", OPENAI) - openAiBefore, 1e-9);
        assertEquals(0.0, metric("image_router_cost_usd_total", "provider", LEONARDO) - leonardoBefore, 1e-9);
        // and Leonardo's credits went off the balance, which matches the emulator's
        assertEquals(0, new BigDecimal("8976").compareTo(credits.balance(LEONARDO).orElseThrow()));
        assertEquals(0, sandbox.leonardoBalance().compareTo(credits.balance(LEONARDO).orElseThrow()));
        assertEquals(8976.0, metric("image_router_provider_credits", "provider", LEONARDO), 1e-9);
        // and the admin view shows the balance, its level and today's spend
        Map<String, Object> leonardo = adminEntry(LEONARDO);
        assertEquals(0, new BigDecimal("8976").compareTo(new BigDecimal(leonardo.get("credit_balance").toString())), leonardo.toString());
        assertEquals("OK", leonardo.get("credit_level"));
        assertTrue(leonardo.containsKey("credit_checked_at"), leonardo.toString());
        assertTrue(new BigDecimal(adminEntry(OPENAI).get("spent_today_usd").toString()).compareTo(openAi) >= 0);
        assertTrue(new BigDecimal(leonardo.get("spent_today_credits").toString()).compareTo(new BigDecimal("24")) >= 0,
                leonardo.toString());
    }

    @Test
    @Order(5)
    void leonardoCostReportedInDollars_countsAsUsd_andLowersTheBalance() {
        // The emulator reports credits; a PAYG account reports cost.unit DOLLARS (mapped to USD by the adapter)
        baseline(new BigDecimal("9000"));
        ProviderHandle leonardo = runtime.chain().find(LEONARDO).orElseThrow();
        double before = metric("image_router_cost_usd_total", "provider", LEONARDO);
        ProviderResult result = new ProviderResult(List.of(new GeneratedImage(new byte[]{1}, "image/png")), "phoenix",
                Optional.of("id"), Optional.of(new ProviderResult.Cost(new BigDecimal("0.0125"), ProviderResult.Cost.USD)));
        ImageRequest request = new ImageRequest("p", Optional.empty(), 1024, 1024, 1, "auto", Optional.empty(),
                Optional.empty(), "png", Optional.empty());

        costs.onPaid(leonardo, request, result.cost(), true);
        credits.onPaid(leonardo, request, result.cost(), true);

        assertEquals(0.0125, metric("image_router_cost_usd_total", "provider", LEONARDO) - before, 1e-12);
        assertEquals(0, new BigDecimal("8999.9875").compareTo(credits.balance(LEONARDO).orElseThrow()));
    }

    // ---- alerts --------------------------------------------------------------------------------

    @Test
    @Order(6)
    void repeatedAuthFailures_raiseOneAlert_withinTheMinInterval() {
        int logMark = logs.lines().size();
        for (int i = 0; i < 3; i++) {
            ApiClient.Response r = generate("{\"prompt\":\"" + prompt() + "\"}", "leonardo=auth");
            assertEquals(OPENAI, r.router().get("provider"));
            assertEquals("AUTH_FAILED", r.attempts().get(0).get("failure_kind"));
        }

        List<Map<String, Object>> auth = awaitAlerts("AUTH_FAILED", "firing", 1);
        assertEquals(1, auth.size());
        assertEquals("critical", auth.get(0).get("severity"));
        assertEquals(LEONARDO, auth.get(0).get("provider"));
        List<String> lines = logs.lines().subList(logMark, logs.lines().size()).stream()
                .filter(l -> l.contains("ALERT AUTH_FAILED")).toList();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("ERROR"), lines.get(0));
    }

    @Test
    @Order(7)
    void webhookSlowThenFailing_isRetriedWithBackoffUntilAccepted_offTheRequestPath() {
        baseline(new BigDecimal("10000"));
        // Given a webhook that holds the first delivery past the 2 s timeout, then answers 503, then 200
        webhook.script(WebhookReceiver.HOLD, 503);
        try {
            // When a failure with alert: true happens
            long start = System.nanoTime();
            ApiClient.Response r = generate("{\"prompt\":\"" + prompt() + "\"}", "leonardo=quota");
            long millis = (System.nanoTime() - start) / 1_000_000;

            // Then the request was answered without waiting for the webhook
            assertEquals(OPENAI, r.router().get("provider"));
            assertEquals("QUOTA_EXHAUSTED", r.attempts().get(0).get("failure_kind"));
            assertTrue(alerts("QUOTA_EXHAUSTED", "firing").isEmpty(), "delivered before the request ended");
            assertTrue(millis < 2000, "request took " + millis + " ms (a delivery on the request path would take the 2 s timeout)");
            // and the alert arrives on the third delivery (timeout, 503, 200), the same body each time
            List<Map<String, Object>> quota = awaitAlerts("QUOTA_EXHAUSTED", "firing", 1);
            assertEquals(1, quota.size());
            List<String> attempts = webhook.bodies().stream().filter(b -> b.contains("\"QUOTA_EXHAUSTED\"")).toList();
            assertEquals(3, attempts.size(), attempts.toString());
            assertEquals(1, attempts.stream().distinct().count());
        } finally {
            webhook.release();
        }
    }

    @Test
    @Order(8)
    void noAlertOrLogLine_evenContainsAProviderKey() {
        // A message that would leak, raised directly: every sink gets it scrubbed
        alerts.raise(Alert.firing("SECRET_PROBE", Alert.Severity.WARNING, LEONARDO, null, null,
                "authorization: Bearer " + SandboxKeys.LEONARDO_API_KEY + " and " + SandboxKeys.OPENAI_API_KEY));
        // and real failures of both providers' keys
        generate("{\"prompt\":\"" + prompt() + "\"}", "leonardo=auth,openai=auth");
        assertEquals(1, awaitAlerts("SECRET_PROBE", "firing", 1).size());
        assertEquals(1, awaitAlerts("AUTH_FAILED", "firing", 2).stream().filter(a -> OPENAI.equals(a.get("provider"))).count());

        List<String> everything = new java.util.ArrayList<>(logs.lines());
        everything.addAll(webhook.bodies());
        for (String line : everything) {
            assertFalse(line.contains(SandboxKeys.LEONARDO_API_KEY), "Leonardo key in: " + line);
            assertFalse(line.contains(SandboxKeys.OPENAI_API_KEY), "OpenAI key in: " + line);
            assertFalse(line.toLowerCase(java.util.Locale.ROOT).contains("bearer"), "bearer token in: " + line);
        }
        assertTrue(webhook.bodies().stream().anyMatch(b -> b.contains("SECRET_PROBE") && b.contains("[redacted]")));
        assertTrue(everything.size() > 20, "too little captured to mean anything: " + everything.size());
    }

    @Test
    @Order(9)
    void openAiDailyBudgetReached_skipsOpenAiForBudget_andAlertsOnce() {
        assertEquals(2.0, metric("image_router_provider_daily_budget_usd", "provider", OPENAI), 1e-9);
        // Given OpenAI spending $0.50 per request until today's spend reaches the $2.00 budget
        int guard = 0;
        while (budgets.spentToday(OPENAI, "USD").compareTo(new BigDecimal("2.00")) < 0 && guard++ < 10) {
            ApiClient.Response r = generate("{\"prompt\":\"" + prompt() + "\",\"quality\":\"high\",\"size\":\"1536x1024\",\"n\":2}",
                    "leonardo=429");
            assertEquals(OPENAI, r.router().get("provider"));
        }
        assertTrue(budgets.spentToday(OPENAI, "USD").compareTo(new BigDecimal("2.00")) >= 0);
        stats.reset();

        // When Leonardo cannot serve, OpenAI is skipped for BUDGET and not called
        ApiClient.Response r = generate("{\"prompt\":\"" + prompt() + "\"}", "leonardo=429");
        List<Map<String, Object>> trail = r.attempts();
        assertEquals("RATE_LIMITED", trail.get(0).get("failure_kind"));
        assertEquals(OPENAI, trail.get(1).get("provider"));
        assertEquals("skipped", trail.get(1).get("outcome"));
        assertEquals("BUDGET", trail.get(1).get("reason"));
        assertEquals(0, stats.openAiGenerates());
        // and Leonardo still serves normally
        assertEquals(LEONARDO, generate("{\"prompt\":\"" + prompt() + "\"}").router().get("provider"));
        // and one alert said so
        List<Map<String, Object>> budget = awaitAlerts("BUDGET_EXCEEDED", "firing", 1);
        assertEquals(1, budget.size());
        assertEquals(0, new BigDecimal("2.00").compareTo(new BigDecimal(budget.get(0).get("threshold").toString())));
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Puts the emulator and the monitor at {@code balance}, passing through a healthy balance so the level is OK first. */
    private void baseline(BigDecimal balance) {
        sandbox.setLeonardoBalance(new BigDecimal("10000"));
        credits.checkNow().join();
        sandbox.setLeonardoBalance(balance);
        credits.checkNow().join();
        assertEquals(0, balance.compareTo(credits.balance(LEONARDO).orElseThrow()));
    }

    private ApiClient.Response generate(String body, String... faults) {
        ApiClient.Response r = faults.length == 0 ? api.generate(body) : api.generate(body, "X-Sandbox-Fault", faults[0]);
        assertTrue(r.status() == 200 || faults.length > 0, r.status() + " " + r.text());
        return r;
    }

    private static String prompt() {
        return "a lighthouse at dusk " + UUID.randomUUID();
    }

    /**
     * Asserts an OpenAI answer: {@code outputTokens} image output tokens in its usage (the emulator's
     * gpt-image-2 table) and router.cost = text tokens × $5 + output tokens × $30 per 1M tokens.
     *
     * @return the cost in USD
     */
    @SuppressWarnings("unchecked")
    private static BigDecimal assertTokenCost(ApiClient.Response r, long outputTokens) {
        assertEquals(200, r.status(), r.text());
        assertEquals(OPENAI, r.router().get("provider"));
        Map<String, Object> usage = (Map<String, Object>) r.json().get("usage");
        assertEquals(outputTokens, ((Number) usage.get("output_tokens")).longValue(), usage.toString());
        long text = ((Number) ((Map<String, Object>) usage.get("input_tokens_details")).get("text_tokens")).longValue();
        BigDecimal expected = BigDecimal.valueOf(text * 5 + outputTokens * 30).movePointLeft(6);
        Map<String, Object> cost = (Map<String, Object>) r.router().get("cost");
        assertEquals("USD", cost.get("unit"));
        assertEquals(0, expected.compareTo(new BigDecimal(cost.get("amount").toString())), cost + " vs " + expected);
        return expected;
    }

    private static void assertCost(ApiClient.Response r, String provider, String amount, String unit) {
        assertEquals(200, r.status(), r.text());
        assertEquals(provider, r.router().get("provider"));
        @SuppressWarnings("unchecked")
        Map<String, Object> cost = (Map<String, Object>) r.router().get("cost");
        assertEquals(0, new BigDecimal(amount).compareTo(new BigDecimal(cost.get("amount").toString())), cost.toString());
        assertEquals(unit, cost.get("unit"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> adminEntry(String provider) {
        ApiClient.Response chain = api.get("/admin/chain");
        assertEquals(200, chain.status(), chain.text());
        return ((List<Map<String, Object>>) chain.json().get("providers")).stream()
                .filter(p -> provider.equals(p.get("name"))).findFirst().orElseThrow();
    }

    private List<Map<String, Object>> webhookAlerts() {
        return webhook.accepted().stream().map(this::parse).toList();
    }

    private List<Map<String, Object>> alerts(String alert, String status) {
        return webhookAlerts().stream().filter(a -> alert.equals(a.get("alert")) && status.equals(a.get("status"))).toList();
    }

    private List<Map<String, Object>> awaitAlerts(String alert, String status, int count) {
        webhook.awaitAccepted(b -> {
            Map<String, Object> a = parse(b);
            return alert.equals(a.get("alert")) && status.equals(a.get("status"));
        }, count, WAIT);
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
