package dev.imagerouter.api;

import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.sandbox.SandboxKeys;
import dev.imagerouter.sandbox.SandboxSettings;
import dev.imagerouter.sandbox.SandboxState;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #7 acceptance, Leonardo webhooks: with callbacks on in the emulator, a generation ends with
 * the callback (first poll only after 1.5 s, so a fast answer proves the callback ended it); repeats
 * change nothing; forged callbacks are refused; polling remains the fallback.
 */
@MicronautTest
class LeonardoWebhookTest extends SandboxHttpTest {

    static final String WEBHOOK_KEY = "webhook-key-4d2c0b9a8f7e6d51";
    static final long FIRST_POLL_MILLIS = 1500;

    @Inject
    SandboxState sandbox;
    @Inject
    MeterRegistry registry;


    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.sandbox.webhook.enabled", "true");
        p.put("router.webhooks.leonardo-key", WEBHOOK_KEY);
        p.put("router.providers.leonardo-phoenix.webhook.enabled", "true");
        p.put("router.providers.leonardo-phoenix.webhook.poll-initial-delay", FIRST_POLL_MILLIS + "ms");
        p.put("router.providers.leonardo-phoenix.timeout", "6s");
    }

    private static String body() {
        return "{\"prompt\":\"a kite over dunes " + UUID.randomUUID() + "\",\"size\":\"512x512\"}";
    }

    private double webhooks(String outcome) {
        Counter c = registry.find(MetricNames.WEBHOOKS).tags("provider", "leonardo", "outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    /** Waits (bounded) for a counter the receiver bumps off the request thread. */
    private void awaitWebhooks(String outcome, double expected) {
        await("webhooks counted as " + outcome).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> webhooks(outcome) >= expected);
        assertEquals(expected, webhooks(outcome), outcome);
    }

    private ApiClient.Response callback(String generationId, String authorization) {
        String url = server.getURL() + SandboxKeys.LEONARDO_CDN_PATH + "/" + generationId + "/0.png";
        String payload = "{\"type\":\"image_generation.complete\",\"object\":\"generation\",\"timestamp\":" + System.currentTimeMillis()
                + ",\"api_version\":\"v1\",\"data\":{\"object\":{\"id\":\"" + generationId + "\",\"status\":\"COMPLETE\","
                + "\"seed\":\"905778432\",\"images\":[{\"id\":\"" + UUID.randomUUID() + "\",\"url\":\"" + url + "\",\"nsfw\":false}]}}}";
        return api.post("/v1/webhooks/leonardo", "application/json", payload.getBytes(StandardCharsets.UTF_8),
                authorization == null ? new String[0] : new String[]{"Authorization", authorization});
    }

    @Test
    void callback_completesTheGenerationAtOnce_withAtMostOnePoll() {
        double delivered = webhooks("delivered");
        long start = System.nanoTime();
        ApiClient.Response r = api.generate(body());
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertEquals(200, r.status(), r.text());
        assertEquals("leonardo-phoenix", r.router().get("provider"));
        assertEquals(1, stats.leonardoWebhooks(), "one callback");
        String id = stats.leonardoWebhookIds().get(0);
        assertTrue(stats.leonardoPolls(id) <= 1, "polls of " + id + ": " + stats.leonardoPolls(id));
        assertTrue(millis < FIRST_POLL_MILLIS, "answered after " + millis + " ms; the first poll is due after " + FIRST_POLL_MILLIS);
        assertEquals(List.of(200), stats.leonardoWebhookAnswers());
        awaitWebhooks("delivered", delivered + 1);
    }

    @Test
    void duplicatedCallback_changesNothing() {
        assertEquals(200, api.generate(body()).status());
        String id = stats.leonardoWebhookIds().get(0);
        double duplicates = webhooks("duplicate");
        double delivered = webhooks("delivered");
        long creates = stats.leonardoCreates();
        long polls = stats.leonardoPolls();
        long cdn = stats.leonardoCdnFetches();

        ApiClient.Response again = callback(id, "Bearer " + WEBHOOK_KEY);

        assertEquals(200, again.status(), again.text());
        assertEquals(Boolean.TRUE, again.json().get("received"));
        awaitWebhooks("duplicate", duplicates + 1);
        assertEquals(delivered, webhooks("delivered"));
        assertEquals(creates, stats.leonardoCreates());
        assertEquals(polls, stats.leonardoPolls());
        assertEquals(cdn, stats.leonardoCdnFetches(), "no image was fetched again");
        assertEquals(0, stats.openAiGenerates());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Bearer wrong-webhook-key-000000", "Bearer " + SandboxKeys.LEONARDO_WEBHOOK_KEY,
            "Bearer " + WEBHOOK_KEY + "x", "Basic " + WEBHOOK_KEY, WEBHOOK_KEY})
    void forgedCallback_is401_andLeavesNoTrace(String authorization) {
        String id = UUID.randomUUID().toString();
        ApiClient.Response forged = callback(id, authorization.isEmpty() ? null : authorization);

        assertEquals(401, forged.status(), forged.text());
        assertEquals("invalid_api_key", forged.error().get("code"));
        assertTrue(forged.error().containsKey("param"));
        assertTrue(!forged.text().contains(WEBHOOK_KEY) && !forged.text().contains("wrong-webhook"), forged.text());
        // the forged id was not remembered: the genuine callback for it is not taken for a repeat
        double unknown = webhooks("unknown");
        assertEquals(200, callback(id, "Bearer " + WEBHOOK_KEY).status());
        awaitWebhooks("unknown", unknown + 1);
    }

    @Test
    void callbackForAnUnknownGeneration_isAcceptedAndIgnored() {
        double unknown = webhooks("unknown");
        ApiClient.Response r = callback(UUID.randomUUID().toString(), "Bearer " + WEBHOOK_KEY);

        assertEquals(200, r.status(), r.text());
        awaitWebhooks("unknown", unknown + 1);
        assertEquals(0, stats.leonardoCdnFetches());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "not json", "{\"data\":{\"object\":{\"status\":\"COMPLETE\"}}}", "{\"data\":{\"object\":{\"id\":7}}}", "[]"})
    void callbackWithoutAGenerationId_is400(String payload) {
        ApiClient.Response r = api.post("/v1/webhooks/leonardo", "application/json", payload.getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer " + WEBHOOK_KEY);

        assertEquals(400, r.status(), r.text());
        assertEquals("data.object.id", r.error().get("param"));
    }

    @Test
    void withoutCallbacks_pollingStillCompletesTheGeneration_afterTheLongerFirstDelay() {
        SandboxSettings settings = sandbox.settings();
        sandbox.configure(true, settings.toBuilder().webhook("", "").build());
        try {
            long start = System.nanoTime();
            ApiClient.Response r = api.generate(body());
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertEquals(200, r.status(), r.text());
            assertEquals("leonardo-phoenix", r.router().get("provider"));
            assertEquals(0, stats.leonardoWebhooks());
            assertTrue(stats.leonardoPolls() >= 1);
            assertTrue(millis >= FIRST_POLL_MILLIS * 0.9, "answered after " + millis + " ms: polling starts later with webhooks on");
        } finally {
            sandbox.configure(true, settings);
        }
    }
}
