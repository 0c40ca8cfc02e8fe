package dev.imagerouter.api;

import dev.imagerouter.sandbox.SandboxKeys;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Edges of the Leonardo webhook: the receiver checks its key before reading the body and caps the body;
 * the sandbox's sender posts only to its configured destination, whatever Host the create call named.
 */
@MicronautTest
class LeonardoWebhookEdgesTest extends SandboxHttpTest {

    static final String WEBHOOK_KEY = "webhook-key-edges-7a1c3e5f9b2d";
    static final String PATH = "/v1/webhooks/leonardo";

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.sandbox.webhook.enabled", "true");
        p.put("router.webhooks.leonardo-key", WEBHOOK_KEY);
    }

    /** What came back on a raw connection: the status, or -1 when nothing came within the wait. */
    record Raw(int status, String text) {
    }

    /**
     * Sends the request head (declaring {@code contentLength} bytes) and only {@code sent} bytes of the
     * body, then waits for an answer without sending the rest.
     */
    private Raw sendHeadAndPartOfBody(String path, String host, String authorization, long contentLength, byte[] sent,
                                      Duration wait) throws IOException {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout((int) wait.toMillis());
            OutputStream out = socket.getOutputStream();
            String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                    + "Content-Length: " + contentLength + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(sent);
            out.flush();
            return readAnswer(socket.getInputStream());
        }
    }

    /** Reads the status line and whatever follows until the server pauses or closes. */
    private static Raw readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                got.write(buffer, 0, n);
                String text = got.toString(StandardCharsets.UTF_8);
                int headEnd = text.indexOf("\r\n\r\n");
                if (headEnd > 0 && text.indexOf('}', headEnd) > 0 && text.trim().endsWith("}")) {
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            // fall through with what came
        }
        String text = got.toString(StandardCharsets.UTF_8);
        if (!text.startsWith("HTTP/1.1 ")) {
            return new Raw(-1, text);
        }
        return new Raw(Integer.parseInt(text.substring(9, 12)), text);
    }

    @Test
    void wrongKey_withA1MbBody_isRefused401_beforeTheBodyIsSent() throws IOException {
        // 1 MB declared, 1 KiB sent: the answer must come while the client still owes 999 KB
        Raw r = sendHeadAndPartOfBody(PATH, "localhost", "Bearer wrong-key-000000000000", 1_000_000, new byte[1024],
                Duration.ofSeconds(5));

        assertEquals(401, r.status(), "no 401 while the body was still unsent: " + r.text());
        assertTrue(r.text().contains("\"code\":\"invalid_api_key\""), r.text());
        assertTrue(r.text().contains("\"type\":\"invalid_request_error\""), r.text());
        assertTrue(!r.text().contains(WEBHOOK_KEY) && !r.text().contains("wrong-key-000000000000"), r.text());
    }

    @Test
    void noKey_withABodyOverTheCap_is401_not413() {
        byte[] big = new byte[LeonardoWebhookController.MAX_BODY_BYTES * 3];
        Arrays.fill(big, (byte) 'x');

        ApiClient.Response r = api.post(PATH, "application/json", big);

        assertEquals(401, r.status(), r.text());
        assertEquals("invalid_api_key", r.error().get("code"));
    }

    @Test
    void rightKey_withABodyOverTheCap_is413_inTheOpenAiShape_declaredOrChunked() {
        byte[] big = new byte[LeonardoWebhookController.MAX_BODY_BYTES + 1];
        Arrays.fill(big, (byte) ' ');

        ApiClient.Response declared = api.post(PATH, "application/json", big, "Authorization", "Bearer " + WEBHOOK_KEY);
        assertEquals(413, declared.status(), declared.text());
        assertEquals("request_too_large", declared.error().get("code"));
        assertEquals("invalid_request_error", declared.error().get("type"));
        assertTrue(declared.error().containsKey("param") && declared.error().containsKey("message"), declared.text());

        // no Content-Length: the cap applies while reading
        ApiClient.Response chunked = api.send(api.request(PATH, "Authorization", "Bearer " + WEBHOOK_KEY,
                        "Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build());
        assertEquals(413, chunked.status(), chunked.text());
        assertEquals("request_too_large", chunked.error().get("code"));
    }

    @Test
    void rightKey_withASmallBody_underTheCap_isStillRead() {
        ApiClient.Response r = api.post(PATH, "application/json", "{\"data\":{}}".getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer " + WEBHOOK_KEY);
        assertEquals(400, r.status(), r.text());
        assertEquals("data.object.id", r.error().get("param"));
    }

    @Test
    void createNamingAnotherHost_stillGetsItsCallbackOnTheConfiguredDestination() throws IOException {
        String body = "{\"modelId\":\"de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3\",\"prompt\":\"a harbour\",\"num_images\":1,"
                + "\"width\":512,\"height\":512,\"alchemy\":true,\"contrast\":3.5}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Raw created = sendHeadAndPartOfBody(SandboxKeys.LEONARDO_BASE_PATH + "/generations", "callback-target.invalid:9",
                "Bearer " + SandboxKeys.LEONARDO_API_KEY, bytes.length, bytes, Duration.ofSeconds(10));
        assertEquals(200, created.status(), created.text());

        // the callback reached this router's receiver (200), not the host the create named (-1: no answer)
        await().atMost(Duration.ofSeconds(10)).until(() -> !stats.leonardoWebhookAnswers().isEmpty());
        assertEquals(List.of(200), stats.leonardoWebhookAnswers());
        assertEquals(1, stats.leonardoWebhookIds().size());
    }
}
