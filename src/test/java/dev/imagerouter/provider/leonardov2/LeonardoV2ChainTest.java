package dev.imagerouter.provider.leonardov2;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leonardo v2 files in a chain, against the v1 and v2 emulators over real HTTP: a model's size rules decide what
 * it is asked for (the nearest listed size, then the router's normalisation) or whether it is skipped
 * ({@code UNSUPPORTED}, no create); its create body passes the emulator's per-model validation.
 * Chain: Recraft V4 (exact sizes, 5 % crop at most), gpt-image-2 via Leonardo (listed sizes only; its jobs end by
 * Leonardo's completion callback, as v1 jobs do), OpenAI.
 */
@MicronautTest
class LeonardoV2ChainTest extends SandboxHttpTest {

    static final String GPT = "leonardo-gpt-image-2";
    static final String RECRAFT = "leonardo-recraft-v4";
    static final String OPENAI = "openai-gpt-image-2";

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", RECRAFT + "," + GPT + "," + OPENAI);
        for (String v2 : List.of(GPT, RECRAFT)) {
            p.put("router.providers." + v2 + ".enabled", "true");
            p.put("router.providers." + v2 + ".timeout", "5s");
            p.put("router.providers." + v2 + ".poll.initial-delay", "50ms");
            p.put("router.providers." + v2 + ".poll.max-delay", "100ms");
            p.put("router.providers." + v2 + ".poll.jitter", "0");
            p.put("router.providers." + v2 + ".daily-budget-credits", "100000000");
        }
        // gpt-image-2's jobs end by Leonardo's completion callback (the emulator's, for v2 jobs as for v1): its
        // polls would start only after 30 s
        p.put("router.sandbox.webhook.enabled", "true");
        p.put("router.providers." + GPT + ".webhook.enabled", "true");
        p.put("router.providers." + GPT + ".webhook.poll-initial-delay", "30s");
    }

    @Test
    void aSizeTheModelListsOnlyApproximately_isGeneratedAtAListedSize_andNormalised() {
        // Given 1344x768, which Recraft lists and gpt-image-2 does not: Recraft answers 429 (the RATE_LIMITED row falls back at once)
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("a harbour at dawn") + "\",\"size\":\"1344x768\"}",
                "X-Sandbox-Fault", RECRAFT + "=429");

        // Then gpt-image-2 via Leonardo made it at its nearest listed size, 1376x768, and the router normalised it
        assertEquals(200, r.status(), r.text());
        assertEquals(GPT, r.router().get("provider"), r.text());
        assertEquals(Boolean.TRUE, r.router().get("normalised"), r.text());
        String body = stats.leonardoCreateBodies().get(stats.leonardoCreateBodies().size() - 1);
        assertTrue(body.contains("\"model\":\"gpt-image-2\"") && body.contains("\"width\":1376") && body.contains("\"height\":768"),
                body);
        assertTrue(body.contains("\"quality\":\"MEDIUM\"") && body.contains("\"public\":false"), body);
        assertEquals(2, stats.leonardoV2Creates(), "Recraft's refused create, then gpt-image-2's");
        assertEquals(1, stats.leonardoCreatesAccepted(), "gpt-image-2's body passed the emulator's per-model validation");
        byte[] png = api.get((String) r.data().get(0).get("url")).body();
        assertTrue(RouterTestSupport.isPng(png));
        assertArrayEquals(new int[]{1344, 768}, RouterTestSupport.imageSize(png));
        // the v2 job ended by the callback (POST /v1/webhooks/leonardo), before any poll
        assertTrue(stats.leonardoWebhooks() >= 1, "a completion callback was sent");
        assertEquals(0, stats.leonardoPolls(), "no poll was needed");
    }

    @Test
    void anExactSizeModelWithoutANearSize_isSkippedUnsupported_withoutACreate() {
        // Given 768x1344 (9:16): Recraft's sizes are 1:1 and 16:9, and max-crop is 5 %
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("a tall lighthouse") + "\",\"size\":\"768x1344\"}");

        assertEquals(200, r.status(), r.text());
        Map<String, Object> first = r.attempts().get(0);
        assertEquals(RECRAFT, first.get("provider"), r.text());
        assertEquals("skipped", first.get("outcome"), r.text());
        assertTrue(String.valueOf(first.get("reason")).startsWith("UNSUPPORTED"), r.text());
        // gpt-image-2 lists 768x1376: near enough, made there and normalised
        assertEquals(GPT, r.router().get("provider"), r.text());
        assertEquals(1, stats.leonardoV2Creates(), "no create was sent to Recraft");
        assertFalse(stats.leonardoCreateBodies().get(0).contains("recraft"), stats.leonardoCreateBodies().toString());
        assertArrayEquals(new int[]{768, 1344}, RouterTestSupport.imageSize(api.get((String) r.data().get(0).get("url")).body()));
    }

    @Test
    void recraftServesASizeItHasExactly() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("a poster") + "\",\"size\":\"1024x1024\"}");

        assertEquals(200, r.status(), r.text());
        assertEquals(RECRAFT, r.router().get("provider"), r.text());
        assertEquals(Boolean.FALSE, r.router().get("normalised"), r.text());
        String body = stats.leonardoCreateBodies().get(0);
        assertTrue(body.contains("\"model\":\"recraft-v4\"") && body.contains("\"width\":1024"), body);
        assertFalse(body.contains("prompt_enhance"), "Recraft's file sends no extra parameters: " + body);
    }
}
