package dev.imagerouter.provider.leonardo;

import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The callback payload of shared/specs/leonardo/WIRE.md §5.2 mapped to the poll answer's shape; dedupe in the receiver. */
class LeonardoWebhookPayloadTest {

    private final JsonMapper json = JsonMapper.createDefault();

    /** WIRE §5.2 verbatim (masked ids replaced by UUIDs, the model record shortened). */
    static final String WIRE_EXAMPLE = """
            {"type":"image_generation.complete","object":"generation","timestamp":1699490546932,"api_version":"v1",
             "data":{"object":{"id":"0a6f1a9e-3c1b-4a57-9f38-0f4b8a6b2c11","createdAt":"2023-11-09T00:42:22.707Z",
              "updatedAt":"2023-11-09T00:42:26.740Z","userId":"u","public":false,"flagged":false,"nsfw":false,"status":"COMPLETE",
              "coreModel":"SD","guidanceScale":7,"imageHeight":512,"imageWidth":512,"inferenceSteps":30,"initGeneratedImageId":null,
              "modelId":"6bef9f1b-29cb-40c7-b9df-32b51c1f67d3","negativePrompt":"","prompt":"An oil painting of a cat","quantity":1,
              "sdVersion":"v2","tiling":false,"imageAspectRatio":null,"tokenCost":0,"seed":"905778432","scheduler":"EULER_DISCRETE",
              "apiDollarCost":"9","alchemy":null,"model":{"id":"6bef9f1b","name":"Leonardo Creative","imageCount":2416039},
              "images":[{"id":"7b1e","createdAt":"2023-11-09T00:42:26.733Z","userId":"u",
                "url":"https://cdn.leonardo.ai/users/u/generations/g/Leonardo_Creative_An_oil_painting_of_a_cat_0.jpg",
                "generationId":"0a6f1a9e-3c1b-4a57-9f38-0f4b8a6b2c11","nobgId":null,"nsfw":false,"likeCount":0,"trendingScore":0,"public":false}],
              "apiKey":{"id":"k","key":"secret-api-key","webhookCallbackUrl":"https://webhook.site/x","webhookCallbackApiKey":"abcd"}}}}
            """;

    private Optional<LeonardoWebhookPayload> parse(String text) throws IOException {
        return LeonardoWebhookPayload.parse(json.readValue(text.getBytes(StandardCharsets.UTF_8), JsonNode.class));
    }

    @Test
    void wireExample_mapsToAGenerationWithItsImages_seedFromString() throws IOException {
        LeonardoWebhookPayload p = parse(WIRE_EXAMPLE).orElseThrow();

        assertEquals("image_generation.complete", p.type());
        assertEquals(Optional.of(1699490546932L), p.timestamp());
        assertEquals("0a6f1a9e-3c1b-4a57-9f38-0f4b8a6b2c11", p.generationId());
        assertEquals("COMPLETE", p.status());
        LeonardoWire.Generation g = p.generation();
        assertEquals("COMPLETE", g.status());
        assertEquals(905778432L, g.seed());
        assertEquals(512, g.imageWidth());
        assertEquals("6bef9f1b-29cb-40c7-b9df-32b51c1f67d3", g.modelId());
        assertEquals(1, g.generatedImages().size());
        assertTrue(g.generatedImages().get(0).url().endsWith("_0.jpg"));
        assertFalse(p.toString().contains("secret-api-key") || p.toString().contains("abcd\""), "credentials are not kept");
    }

    @Test
    void completionEventWithoutStatus_isComplete_andLongSeedsSurvive() throws IOException {
        LeonardoWebhookPayload p = parse("{\"type\":\"image_generation.complete\",\"data\":{\"object\":{\"id\":\"g1\",\"seed\":\"9999999998\"}}}")
                .orElseThrow();
        assertEquals("COMPLETE", p.status());
        assertEquals(9_999_999_998L, p.generation().seed());
    }

    @Test
    void payloadWithoutGenerationId_isRejected() throws IOException {
        assertTrue(parse("{}").isEmpty());
        assertTrue(parse("[]").isEmpty());
        assertTrue(parse("{\"data\":{\"object\":{\"id\":\"\"}}}").isEmpty());
        assertTrue(parse("{\"data\":{\"object\":{\"id\":12}}}").isEmpty());
        assertTrue(parse("{\"data\":[]}").isEmpty());
    }

    @Test
    void oddFieldTypes_areIgnored_notFatal() throws IOException {
        LeonardoWebhookPayload p = parse("{\"data\":{\"object\":{\"id\":\"g2\",\"status\":\"COMPLETE\",\"seed\":\"x\","
                + "\"imageWidth\":\"-5\",\"images\":[1,{\"url\":7},{\"url\":\"u\"}]}},\"timestamp\":\"soon\"}").orElseThrow();
        assertEquals(null, p.generation().seed());
        assertEquals(null, p.generation().imageWidth());
        assertEquals(2, p.generation().generatedImages().size());
        assertEquals(Optional.empty(), p.timestamp());
    }

    @Test
    void receiver_deliversOnTheExecutor_onceperGenerationAndStatus() throws IOException {
        LeonardoWebhooks webhooks = new LeonardoWebhooks();
        CompletableFuture<LeonardoWire.Generation> waiting = new CompletableFuture<>();
        webhooks.register("0a6f1a9e-3c1b-4a57-9f38-0f4b8a6b2c11", waiting);
        List<Runnable> queued = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        LeonardoWebhookReceiver receiver = new LeonardoWebhookReceiver(webhooks, queued::add, outcomes::add);
        LeonardoWebhookPayload p = parse(WIRE_EXAMPLE).orElseThrow();

        assertTrue(receiver.accept(p));
        assertFalse(waiting.isDone(), "nothing is delivered on the caller's thread");
        assertFalse(receiver.accept(p), "a repeat is dropped");
        queued.forEach(Runnable::run);

        assertEquals(1, queued.size());
        assertTrue(waiting.isDone());
        assertEquals(1, waiting.join().generatedImages().size());
        assertEquals(List.of("duplicate", "delivered"), outcomes);
    }

    @Test
    void receiver_leavesPendingStatusesToPolling() throws IOException {
        LeonardoWebhooks webhooks = new LeonardoWebhooks();
        CompletableFuture<LeonardoWire.Generation> waiting = new CompletableFuture<>();
        webhooks.register("g3", waiting);
        List<String> outcomes = new ArrayList<>();
        LeonardoWebhookReceiver receiver = new LeonardoWebhookReceiver(webhooks, Runnable::run, outcomes::add);

        receiver.accept(parse("{\"data\":{\"object\":{\"id\":\"g3\",\"status\":\"PENDING\"}}}").orElseThrow());
        receiver.accept(parse("{\"data\":{\"object\":{\"id\":\"g3\",\"status\":\"WEIRD\"}}}").orElseThrow());

        assertFalse(waiting.isDone());
        assertEquals(List.of("ignored", "ignored"), outcomes);
    }
}
