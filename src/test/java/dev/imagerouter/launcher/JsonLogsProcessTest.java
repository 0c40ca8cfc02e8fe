package dev.imagerouter.launcher;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code ROUTER_LOG_FORMAT=json}, tried as an operator would: the application in its own JVM in
 * sandbox mode. Every line it prints, from the first startup line to the last shutdown line, is one
 * JSON object; the lines of a request that fell back carry its {@code X-Request-Id}: the provider's
 * failure and the request line.
 */
class JsonLogsProcessTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = ObjectMapper.getDefault();

    @TempDir
    Path tmp;

    private Map<String, String> sandbox() {
        Map<String, String> env = new HashMap<>();
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        env.put("ROUTER_STORAGE_DIR", tmp.resolve("images").toString());
        env.put("ROUTER_RELOAD_WATCH", "false");
        env.put("ROUTER_POLICY_SERVER_ERROR_BACKOFF", "300ms");
        return env;
    }

    @Test
    void jsonFormat_everyLineIsJson_andTheRequestsLinesCarryItsRequestId() throws Exception {
        Map<String, String> env = sandbox();
        env.put("ROUTER_LOG_FORMAT", "json");
        String id;
        String output;
        try (RouterProcess router = RouterProcess.start(env)) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + router.awaitPort(START), JSON);
            ApiClient.Response r = api.generate("{\"prompt\":\"json logs \\\"quoted\\\"\\nand a second line\"}",
                    "X-Sandbox-Fault", "leonardo=500");
            assertEquals(200, r.status(), r.text());
            assertEquals("openai-gpt-image-2", r.header("X-Router-Provider"), r.text());
            id = r.header("X-Request-Id");
            assertNotNull(id);
            await().atMost(Duration.ofSeconds(10)).until(() -> router.output().contains("\"request_id\":\"" + id + "\""));
            await().atMost(Duration.ofSeconds(10)).until(() -> router.output().contains("\"outcome\":\"success\""));
            router.close(); // SIGTERM: the shutdown lines are JSON too
            output = router.output();
        }
        List<Map<String, Object>> lines = parseEveryLine(output);
        assertFalse(lines.isEmpty(), output);
        for (Map<String, Object> line : lines) {
            for (String field : List.of("timestamp", "level", "threadName", "loggerName", "formattedMessage")) {
                assertTrue(line.containsKey(field), "no " + field + ": " + line);
            }
        }
        assertTrue(lines.stream().anyMatch(l -> String.valueOf(l.get("formattedMessage")).startsWith("mode: sandbox")),
                "the startup line is missing: " + output);

        List<Map<String, Object>> mine = lines.stream().filter(l -> id.equals(mdc(l).get("request_id"))).toList();
        Map<String, Object> failure = mine.stream().filter(l -> "dev.imagerouter.routing.Router".equals(l.get("loggerName")))
                .findFirst().orElseThrow(() -> new AssertionError("no provider failure line with " + id + ":\n" + output));
        assertEquals("leonardo-phoenix", mdc(failure).get("provider"), failure.toString());
        assertEquals("SERVER_ERROR", mdc(failure).get("failure_kind"), failure.toString());
        assertEquals("anonymous", mdc(failure).get("client"), failure.toString());
        List<Map<String, Object>> requestLines = mine.stream()
                .filter(l -> "dev.imagerouter.api.RequestLog".equals(l.get("loggerName"))).toList();
        assertEquals(1, requestLines.size(), output);
        Map<String, Object> request = mdc(requestLines.get(0));
        assertEquals("INFO", requestLines.get(0).get("level"));
        assertEquals("openai-gpt-image-2", request.get("provider"), request.toString());
        assertEquals("miss", request.get("cache"), request.toString());
        assertEquals("success", request.get("outcome"), request.toString());
        assertEquals("200", request.get("status"), request.toString());
        assertTrue(String.valueOf(request.get("duration_ms")).matches("\\d+"), request.toString());
        assertFalse(output.contains("json logs"), "a prompt reached the log:\n" + output);
    }

    @Test
    void anUnknownFormat_stopsTheStart_namingTheVariable() throws Exception {
        Map<String, String> env = sandbox();
        env.put("ROUTER_LOG_FORMAT", "xml");
        try (RouterProcess router = RouterProcess.start(env)) {
            assertEquals(2, router.awaitExit(START), router.output());
            assertTrue(router.output().contains("ROUTER_LOG_FORMAT (or router.log.format) must be text or json, not \"xml\""),
                    router.output());
        }
    }

    /** Every line of {@code output} as a JSON object; fails on the first line that is not one. */
    private static List<Map<String, Object>> parseEveryLine(String output) {
        List<Map<String, Object>> lines = new ArrayList<>();
        String[] all = output.split("\n", -1);
        for (int i = 0; i < all.length; i++) {
            String line = all[i];
            if (line.isEmpty() && i == all.length - 1) {
                continue; // the text after the last newline
            }
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> object = JSON.readValue(line, Map.class);
                if (object == null) {
                    fail("not a JSON object: " + line);
                }
                lines.add(object);
            } catch (IOException | RuntimeException e) {
                fail("not a JSON line: " + line + " (" + e + ")\n" + output);
            }
        }
        return lines;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mdc(Map<String, Object> line) {
        Object mdc = line.get("mdc");
        return mdc instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
