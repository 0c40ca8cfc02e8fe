package dev.imagerouter.api;

import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientImpl;
import com.openai.core.ClientOptions;
import com.openai.core.http.StreamResponse;
import com.openai.models.images.ImageGenCompletedEvent;
import com.openai.models.images.ImageGenStreamEvent;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import dev.imagerouter.provider.openai.NettyHttpTransport;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Images API as gpt-image-2 callers use it, over real HTTP against the sandbox emulators with
 * the shipped configuration (leonardo-phoenix → openai-gpt-image-2): the fields of gpt-image-2 and
 * DALL·E 3, streaming through the official OpenAI Java SDK, drop-in {@code b64_json} answers, cost
 * from usage, and providers skipped for a request they cannot serve.
 */
@MicronautTest
class GptImage2ApiTest extends SandboxHttpTest {

    private final java.util.concurrent.ExecutorService sdkThreads = Executors.newFixedThreadPool(2);
    private OpenAIClient sdk;

    @AfterAll
    void closeSdk() {
        if (sdk != null) {
            sdk.close();
        }
        sdkThreads.shutdownNow();
    }

    /** The official SDK pointed at the router, as a pipeline would be (base_url = router + /v1). */
    private OpenAIClient sdk() {
        if (sdk == null) {
            sdk = new OpenAIClientImpl(ClientOptions.builder()
                    .httpClient(new NettyHttpTransport(Duration.ofSeconds(5), Duration.ofSeconds(30), sdkThreads))
                    .baseUrl(server.getURL() + "/v1").apiKey("unused-in-sandbox").maxRetries(0).build());
        }
        return sdk;
    }

    @Test
    void leonardoRateLimited_everyGptImage2Field_isServedByGptImage2AsJpeg_withUsageAndCostFromTokens() {
        // Given Leonardo answers 429, when a caller sends every field gpt-image-2 and DALL·E 3 callers send
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("every field") + "\",\"model\":\"gpt-image-2\","
                        + "\"background\":\"opaque\",\"moderation\":\"low\",\"output_format\":\"jpeg\",\"output_compression\":80,"
                        + "\"quality\":\"hd\",\"style\":\"vivid\",\"size\":\"1536x1024\",\"user\":\"pipeline-7\",\"response_format\":\"url\"}",
                "X-Sandbox-Fault", "leonardo=429");

        // Then gpt-image-2 made it
        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));
        assertEquals("gpt-image-2", r.router().get("model"));
        // and OpenAI got the fields it knows (hd as high, user as safety_identifier), never the style
        String sent = stats.openAiGenerateBodies().get(stats.openAiGenerateBodies().size() - 1);
        for (String field : List.of("\"model\":\"gpt-image-2\"", "\"background\":\"opaque\"", "\"moderation\":\"low\"",
                "\"output_format\":\"jpeg\"", "\"output_compression\":80", "\"quality\":\"high\"", "\"size\":\"1536x1024\"",
                "\"safety_identifier\":\"pipeline-7\"")) {
            assertTrue(sent.contains(field), field + " not in " + sent);
        }
        assertFalse(sent.contains("style"), sent);
        assertFalse(sent.contains("vivid"), sent);
        // and the image is a JPEG of the requested size
        ApiClient.Response file = api.get((String) r.data().get(0).get("url"));
        assertEquals("image/jpeg", file.header("Content-Type"));
        assertEquals(0xFF, file.body()[0] & 0xFF);
        assertEquals(0xD8, file.body()[1] & 0xFF);
        assertArrayEquals(new int[]{1536, 1024}, RouterTestSupport.imageSize(file.body()));
        // and the answer carries OpenAI's usage, and router.cost in USD computed from its tokens
        @SuppressWarnings("unchecked")
        Map<String, Object> usage = (Map<String, Object>) r.json().get("usage");
        assertNotNull(usage, r.text());
        long outputTokens = ((Number) usage.get("output_tokens")).longValue();
        @SuppressWarnings("unchecked")
        Map<String, Object> details = (Map<String, Object>) usage.get("input_tokens_details");
        long textTokens = ((Number) details.get("text_tokens")).longValue();
        assertTrue(outputTokens > 0 && textTokens > 0, usage.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> cost = (Map<String, Object>) r.router().get("cost");
        assertEquals("USD", cost.get("unit"));
        BigDecimal expected = new BigDecimal("5.00").multiply(BigDecimal.valueOf(textTokens))
                .add(new BigDecimal("30.00").multiply(BigDecimal.valueOf(outputTokens)))
                .divide(BigDecimal.valueOf(1_000_000));
        assertEquals(0, expected.compareTo(new BigDecimal(cost.get("amount").toString())), cost + " vs " + expected);
    }

    @Test
    void dallE3QualityAndStyle_mapToGptImageQualityAndALeonardoPreset_andHashAsTheMappedValues() {
        String prompt = prompt("dall-e 3 caller");
        ApiClient.Response dallE = api.generate("{\"prompt\":\"" + prompt + "\",\"quality\":\"hd\",\"style\":\"vivid\"}");
        assertEquals(200, dallE.status(), dallE.text());
        String created = stats.leonardoCreateBodies().get(stats.leonardoCreateBodies().size() - 1);
        assertTrue(created.contains("\"presetStyle\":\"VIBRANT\""), created);

        // The same request in today's words is the same request: a cache hit
        ApiClient.Response today = api.generate("{\"prompt\":\"" + prompt + "\",\"quality\":\"high\",\"style\":\"VIBRANT\"}");
        assertEquals(dallE.router().get("request_hash"), today.router().get("request_hash"));
        assertEquals("HIT", today.header("X-Router-Cache"));

        // standard is medium, as hd is high
        String other = prompt("dall-e 3 standard");
        assertEquals(api.generate("{\"prompt\":\"" + other + "\",\"quality\":\"standard\"}").router().get("request_hash"),
                api.generate("{\"prompt\":\"" + other + "\",\"quality\":\"medium\"}").router().get("request_hash"));

        ApiClient.Response natural = api.generate("{\"prompt\":\"" + prompt("natural") + "\",\"style\":\"natural\"}");
        assertEquals(200, natural.status(), natural.text());
        assertTrue(stats.leonardoCreateBodies().get(stats.leonardoCreateBodies().size() - 1).contains("\"presetStyle\":\"NEUTRAL\""));
    }

    @Test
    void webpOutput_isStoredAndServedAsWebp_whicheverProviderAnswered_andLeonardoNeverGetsTheCallersId() {
        for (String fault : new String[]{"", "leonardo=429"}) {
            String[] headers = fault.isEmpty() ? new String[0] : new String[]{"X-Sandbox-Fault", fault};
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("webp " + fault) + "\",\"size\":\"1000x600\","
                    + "\"output_format\":\"webp\",\"output_compression\":70,\"safety_identifier\":\"hashed-user-9\"}", headers);

            assertEquals(200, r.status(), r.text());
            assertEquals(fault.isEmpty() ? "leonardo-phoenix" : "openai-gpt-image-2", r.router().get("provider"));
            String url = (String) r.data().get(0).get("url");
            assertTrue(url.endsWith(".webp"), url);
            ApiClient.Response file = api.get(url);
            assertEquals("image/webp", file.header("Content-Type"));
            assertEquals("RIFF", new String(file.body(), 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals("WEBP", new String(file.body(), 8, 4, java.nio.charset.StandardCharsets.US_ASCII));
            assertArrayEquals(new int[]{1000, 600}, RouterTestSupport.imageSize(file.body()));
        }
        assertFalse(String.join("", stats.leonardoCreateBodies()).contains("hashed-user-9"), stats.leonardoCreateBodies().toString());
        assertTrue(stats.openAiGenerateBodies().get(0).contains("\"safety_identifier\":\"hashed-user-9\""));
    }

    @Test
    void gptImageModelWithoutResponseFormat_answersB64JsonAndUrl_soDropInCodeCanReadData0B64Json() {
        ImagesResponse answer = sdk().images().generate(ImageGenerateParams.builder().model("gpt-image-2")
                .prompt(prompt("drop-in")).size(ImageGenerateParams.Size.of("512x512")).build());

        String b64 = answer.data().orElseThrow().get(0).b64Json().orElseThrow();
        byte[] png = Base64.getDecoder().decode(b64);
        assertTrue(RouterTestSupport.isPng(png));
        assertArrayEquals(new int[]{512, 512}, RouterTestSupport.imageSize(png));
        assertTrue(answer.data().get().get(0).url().isPresent(), "the URL is kept beside b64_json");

        // A caller that names no gpt-image model keeps today's URL-only answer
        ApiClient.Response plain = api.generate("{\"prompt\":\"" + prompt("plain") + "\"}");
        assertNull(plain.data().get(0).get("b64_json"));
        assertNotNull(plain.data().get(0).get("url"));
    }

    @Test
    void officialSdkStreaming_fromLeonardo_getsACompletedEventWithADecodableImageOfTheRequestedSize() {
        List<ImageGenStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ImageGenStreamEvent> stream = sdk().images().generateStreaming(ImageGenerateParams.builder()
                .model("gpt-image-2").prompt(prompt("stream from leonardo")).size(ImageGenerateParams.Size.of("768x512"))
                .partialImages(2).build())) {
            stream.stream().forEach(events::add);
        }

        assertEquals(1, events.size(), "Leonardo sends no partial images: one completed event");
        ImageGenCompletedEvent completed = events.get(0).asGenerationCompleted();
        byte[] png = Base64.getDecoder().decode(completed.b64Json());
        assertArrayEquals(new int[]{768, 512}, RouterTestSupport.imageSize(png));
        assertEquals(0, completed.usage().totalTokens(), "Leonardo prices in credits, not tokens");
        assertEquals(1, stats.leonardoCreates());
    }

    @Test
    void officialSdkStreaming_fromOpenAi_relaysPartialImages_thenCompletedWithUsage_andStoresTheImage() {
        String prompt = prompt("stream from openai");
        List<ImageGenStreamEvent> events = new ArrayList<>();
        try (StreamResponse<ImageGenStreamEvent> stream = sdk().images().generateStreaming(ImageGenerateParams.builder()
                .model("gpt-image-2").prompt(prompt).size(ImageGenerateParams.Size.of("1024x1024"))
                .partialImages(2).putAdditionalHeader("X-Sandbox-Fault", "leonardo=500").build())) {
            stream.stream().forEach(events::add);
        }

        List<ImageGenStreamEvent> partials = events.stream().filter(ImageGenStreamEvent::isGenerationPartialImage).toList();
        assertEquals(2, partials.size(), events.toString());
        assertEquals(0, partials.get(0).asGenerationPartialImage().partialImageIndex());
        ImageGenStreamEvent last = events.get(events.size() - 1);
        assertTrue(last.isGenerationCompleted());
        byte[] png = Base64.getDecoder().decode(last.asGenerationCompleted().b64Json());
        assertArrayEquals(new int[]{1024, 1024}, RouterTestSupport.imageSize(png));
        assertTrue(last.asGenerationCompleted().usage().outputTokens() > 0);

        // Stored and cached exactly as a plain request: the same request is now a hit, no new call
        long generates = stats.openAiGenerates();
        ApiClient.Response again = api.generate("{\"prompt\":\"" + prompt + "\",\"size\":\"1024x1024\"}");
        assertEquals("HIT", again.header("X-Router-Cache"), again.text());
        assertEquals("openai-gpt-image-2", again.router().get("provider"));
        assertEquals(generates, stats.openAiGenerates());
    }

    @Test
    void streamThatFailsBeforeAnyEvent_getsTheOrdinaryJsonError() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("stream fails") + "\",\"stream\":true}",
                "X-Sandbox-Fault", "leonardo=bad_request,openai=bad_request");

        assertEquals(502, r.status(), r.text());
        assertEquals("application/json", r.header("Content-Type"));
        assertEquals("all_providers_failed", r.error().get("code"));
    }

    @Test
    void promptOverLeonardosLimit_skipsLeonardoWithAReason_andOpenAiServesIt() {
        String prompt = "a very detailed scene " + "x".repeat(1600);
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt + "\"}");

        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));
        assertEquals(0, stats.leonardoCreates());
        Map<String, Object> skipped = r.attempts().get(0);
        assertEquals("leonardo-phoenix", skipped.get("provider"));
        assertEquals("skipped", skipped.get("outcome"));
        assertTrue(skipped.get("reason").toString().startsWith("UNSUPPORTED: prompt longer than Leonardo's 1500"), skipped.toString());
    }

    @Test
    void transparentBackground_noProviderInTheChainCanMakeIt_is400NamingBackground_beforeAnyCall() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("transparent") + "\",\"background\":\"transparent\"}");

        assertEquals(400, r.status(), r.text());
        assertEquals("background", r.error().get("param"));
        assertEquals("invalid_value", r.error().get("code"));
        assertTrue(r.error().get("message").toString().contains("transparent"), r.text());
        assertEquals(0, stats.leonardoCreates());
        assertEquals(0, stats.openAiGenerates());
    }
}
