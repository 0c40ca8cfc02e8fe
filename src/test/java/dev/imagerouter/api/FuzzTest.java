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
        FuzzCases cases = new FuzzCases(new Random(SEED), server.getURL().toString());
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
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
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
