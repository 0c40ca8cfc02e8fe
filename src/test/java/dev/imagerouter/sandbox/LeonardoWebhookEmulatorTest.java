package dev.imagerouter.sandbox;

import com.sun.net.httpserver.HttpServer;
import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Leonardo emulator's completion callback (WIRE §5, §9 note 5), received by a plain local HTTP server. */
@MicronautTest
class LeonardoWebhookEmulatorTest extends EmulatorTest {

    static final String KEY = "emulator-webhook-key-0000";

    record Received(Map<String, List<String>> headers, byte[] body, long nanos) {
    }

    private HttpServer receiver;
    private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            received.add(new Received(Map.copyOf(exchange.getRequestHeaders()), exchange.getRequestBody().readAllBytes(), System.nanoTime()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
        reset(SandboxSettings.builder().pending(Duration.ofMillis(150), Duration.ofMillis(150)).webhook(url, KEY).build());
    }

    @AfterEach
    void tearDown() {
        receiver.stop(0);
        state.configure(true, SandboxSettings.defaults());
    }

    private String create(String faultHeader) throws Exception {
        String[] headers = faultHeader == null ? LeonardoEmulatorTest.AUTH
                : new String[]{"authorization", LeonardoEmulatorTest.AUTH[1], SandboxKeys.FAULT_HEADER, faultHeader};
        SandboxTestClient.Response created = client.post(LeonardoEmulatorTest.BASE + "/generations",
                LeonardoEmulatorTest.phoenix(512, 768, 2), headers);
        assertEquals(200, created.status(), created.text());
        return created.json().get("sdGenerationJob").get("generationId").getStringValue();
    }

    @Test
    void completedJob_postsTheWireEnvelope_withBearerKeyAndAxiosAgent_atCompletion() throws Exception {
        long start = System.nanoTime();
        String id = create(null);

        Received callback = received.poll(3, TimeUnit.SECONDS);
        assertNotNull(callback, "no callback within 3 s");
        assertTrue(callback.nanos() - start >= Duration.ofMillis(150).toNanos(), "sent before the job completed");
        assertEquals(List.of("Bearer " + KEY), callback.headers().get("Authorization"));
        assertEquals(List.of("axios/1.4.0"), callback.headers().get("User-agent"));
        assertEquals(List.of("application/json"), callback.headers().get("Content-type"));

        JsonNode root = mapper.readValue(callback.body(), JsonNode.class);
        assertEquals("image_generation.complete", root.get("type").getStringValue());
        assertEquals("generation", root.get("object").getStringValue());
        assertTrue(root.get("timestamp").isNumber() && root.get("timestamp").getNumberValue().longValue() > 1_600_000_000_000L);
        JsonNode g = root.get("data").get("object");
        assertEquals(id, g.get("id").getStringValue());
        assertEquals("COMPLETE", g.get("status").getStringValue());
        assertTrue(g.get("seed").isString(), "seed is a string in callbacks (WIRE §5.2)");
        assertTrue(g.get("createdAt").getStringValue().endsWith("Z"));
        assertNull(g.get("generated_images"), "images are under data.object.images");
        assertEquals(2, g.get("images").size());
        assertTrue(g.get("images").get(0).get("url").getStringValue().contains(SandboxKeys.LEONARDO_CDN_PATH + "/" + id + "/0.png"));
        assertEquals(KEY, g.get("apiKey").get("webhookCallbackApiKey").getStringValue());
        // the job polls COMPLETE once the callback is out, and one callback was counted
        assertEquals("COMPLETE", LeonardoEmulatorTest.pollUntilDone(client, id).get("status").getStringValue());
        assertEquals(List.of(id), stats.leonardoWebhookIds());
        // the receiver's answer is recorded once the emulator has read it, after the receiver saw the body
        await("the callback's answer is recorded").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> !stats.leonardoWebhookAnswers().isEmpty());
        assertEquals(List.of(204), stats.leonardoWebhookAnswers());
    }

    @Test
    void failedOrNeverEndingJobs_postNoCallback() throws Exception {
        create("leonardo=failed");
        create("leonardo=timeout");

        assertNull(received.poll(600, TimeUnit.MILLISECONDS));
        assertEquals(0, stats.leonardoWebhooks());
    }

    @Test
    void withoutAWebhookUrl_noCallbackIsPosted() throws Exception {
        state.configure(true, state.settings().toBuilder().pending(Duration.ofMillis(20), Duration.ofMillis(20)).webhook("", "").build());
        create(null);

        assertNull(received.poll(400, TimeUnit.MILLISECONDS));
        assertEquals(0, stats.leonardoWebhooks());
    }
}
