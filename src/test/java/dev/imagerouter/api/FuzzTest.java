package dev.imagerouter.api;

import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #7 acceptance, fuzzing: at least {@value #CASES} generated malformed or hostile requests
 * (bodies, headers, paths, methods; from a seeded {@link Random}, so a failure replays) against the
 * running router, over plain JDK HTTP. Every answer must be below 500, and every non-2xx answer
 * (HEAD aside) must carry the OpenAI error shape with all four keys. The cases come from
 * {@link FuzzCases}; most bodies are invalid so that few generations run (those that do are
 * steered to the fast OpenAI emulator with a sandbox fault).
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FuzzTest implements TestPropertyProvider {

    static final int CASES = 1200;
    static final long SEED = 20_260_307L;

    @Inject
    EmbeddedServer server;
    @Inject
    JsonMapper json;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = RouterTestSupport.fastSandbox();
        p.put("router.auth.api-keys", "fuzz:" + FuzzCases.CLIENT_KEY);
        p.put("router.auth.admin-key", FuzzCases.ADMIN_KEY);
        p.put("router.webhooks.leonardo-key", FuzzCases.WEBHOOK_KEY);
        return p;
    }

    @Test
    void thousandsOfHostileRequests_neverGet5xx_andEveryErrorHasTheOpenAiShape() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
        FuzzCases cases = new FuzzCases(new FuzzRandom(SEED), server.getURL().toString());
        List<String> failures = new ArrayList<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        int sent = 0;
        long start = System.nanoTime();
        while (sent < CASES) {
            FuzzCases.Case c = cases.next();
            HttpRequest request;
            try {
                request = c.build().timeout(Duration.ofSeconds(20)).build();
            } catch (IllegalArgumentException e) {
                continue; // the JDK client refuses this header or method outright; nothing was sent
            }
            HttpResponse<byte[]> response;
            CompletableFuture<HttpResponse<byte[]>> pending =
                    http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
            try {
                // the request timeout does not cover a body the server stops reading: bound the whole exchange
                response = pending.get(20, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                pending.cancel(true);
                failures.add("#" + sent + " " + c.description() + ": no answer (" + e + ")");
                sent++;
                continue;
            }
            sent++;
            statuses.merge(response.statusCode(), 1, Integer::sum);
            String problem = check(response, c.method());
            if (problem != null) {
                failures.add("#" + sent + " " + c.description() + " → " + response.statusCode() + ": " + problem);
            }
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        System.out.println("fuzz: " + sent + " requests in " + seconds + " s, statuses " + statuses);

        assertTrue(failures.isEmpty(), failures.size() + " bad answers, first ones:\n" + String.join("\n",
                failures.subList(0, Math.min(25, failures.size()))));
        // the generator really reached the interesting answers
        for (int status : new int[]{200, 400, 401, 404, 405, 413, 415}) {
            assertTrue(statuses.getOrDefault(status, 0) > 0, "no " + status + " among " + statuses);
        }
        // and the router is still healthy afterwards
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(server.getURL() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
    }

    /**
     * Malformations the JDK client refuses to send (or mishandles: it waits forever for a 100 after
     * {@code Expect: 100-continue}, JDK-8286171), written to a raw socket: the answer is still a non-5xx
     * in the OpenAI shape, or the connection is closed.
     */
    @Test
    void malformedHttp_onARawSocket_getsAnOpenAiShapedAnswer() throws Exception {
        String[] requests = {
                "POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + FuzzCases.CLIENT_KEY
                        + "\r\nContent-Type: application/json\r\nContent-Length: 13\r\nExpect: 100-continue\r\n\r\n{\"prompt\":99}",
                "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nAuthorization: Bearer " + FuzzCases.CLIENT_KEY + "\r\n\r\n",
                "GET /v1/images/files/\u00ff\u00fe\u0080.png HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Odd: \u00ff\u00fe\u0001\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n",
                "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "\u0001\u0002 hello\r\n\r\n",
                "POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: -5\r\n\r\n",
                "POST /v1/images/generations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer "
                        + FuzzCases.CLIENT_KEY + "\r\nContent-Type: application/json\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                "GET /v1/images/generations HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
        };
        for (String raw : requests) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.getPort())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(raw.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                String what = (raw.length() <= 120 ? raw : raw.substring(0, 60) + "…" + raw.substring(raw.length() - 60))
                        .replaceAll("[^\\x20-\\x7e]", "?");
                java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();
                try {
                    socket.getInputStream().transferTo(read);
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError(what + " → no close within 10 s after: " + read.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                // the interim "100 Continue" is followed by the final answer
                String answer = read.toString(java.nio.charset.StandardCharsets.ISO_8859_1)
                        .replaceFirst("^HTTP/1\\.1 100 Continue\r\n\r\n", "");
                if (answer.isEmpty()) {
                    continue; // closed without an answer: acceptable for garbage
                }
                java.util.regex.Matcher status = java.util.regex.Pattern.compile("^HTTP/\\d\\.\\d (\\d{3})").matcher(answer);
                assertTrue(status.find(), what + " → " + answer);
                int code = Integer.parseInt(status.group(1));
                assertTrue(code < 500, what + " → " + answer);
                String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
                assertTrue(body.contains("\"error\"") && body.contains("\"param\"") && body.contains("\"code\"")
                        && body.contains("\"type\""), what + " → " + answer);
            } catch (java.net.SocketException e) {
                // reset by the server: acceptable for garbage
            }
        }
    }

    /** Null when the answer is acceptable, else what is wrong with it. */
    private String check(HttpResponse<byte[]> response, String method) {
        int status = response.statusCode();
        if (status >= 500) {
            return "server error " + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (status < 300 || status == 304 || "HEAD".equals(method)) {
            return null;
        }
        String type = response.headers().firstValue("content-type").orElse("");
        if (!type.contains("json")) {
            return "error answer is not JSON but '" + type + "'";
        }
        try {
            Map<String, Object> body = json.readValue(response.body(), Argument.mapOf(String.class, Object.class));
            if (!(body.get("error") instanceof Map<?, ?> error)) {
                return "no error object: " + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
            }
            for (String key : List.of("message", "type", "param", "code")) {
                if (!error.containsKey(key)) {
                    return "error without '" + key + "': " + error;
                }
            }
            if (!(error.get("message") instanceof String) || !(error.get("type") instanceof String)) {
                return "message/type not strings: " + error;
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "unparsable error body: " + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
