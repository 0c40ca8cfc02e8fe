package dev.imagerouter.history;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #26: the history survives a restart. A sandboxed router answers a generation (and a cache hit
 * of it, which the default cache-hit interval leaves unlisted) and stops; a second router on the same
 * {@code router.storage.dir} lists the generation in {@code GET /admin/generations} with the same id,
 * trail and thumbnail, read back from the day file.
 */
class GenerationHistoryRestartHttpTest {

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> data(ApiClient.Response r) {
        return (List<Map<String, Object>>) r.json().get("data");
    }

    @Test
    @SuppressWarnings("unchecked")
    void anAnsweredGeneration_isListedAgainAfterARestart_fromItsDayFile() {
        Map<String, Object> properties = new HashMap<>(RouterTestSupport.fastSandbox());
        Path storage = Path.of((String) properties.get("router.storage.dir"));
        String prompt = "a harbour before the restart " + UUID.randomUUID();

        Map<String, Object> before;
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            ApiClient api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt + "\"}", "X-Sandbox-Fault", "leonardo=500");
            assertEquals(200, r.status(), r.text());
            before = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> data(api.get("/admin/generations?limit=1")).stream().findFirst().orElse(null),
                            g -> g != null && prompt.equals(g.get("prompt")));
            // a cache hit within router.history.cache-hit-interval (1 min) of its generation is not listed
            assertEquals("HIT", api.generate("{\"prompt\":\"" + prompt + "\"}").header("X-Router-Cache"));
        } // the stop lets every queued answer be written
        // leonardo=500: SERVER_ERROR is retried once, then the chain falls back
        assertEquals(java.util.Arrays.asList("retry", "fallback", null),
                ((List<Map<String, Object>>) before.get("attempts")).stream().map(a -> a.get("action")).toList());
        Path day = storage.resolve(GenerationHistory.DIR).resolve(LocalDate.now(ZoneOffset.UTC) + ".jsonl");
        assertTrue(Files.exists(day), "the day file " + day);

        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            ApiClient api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
            List<Map<String, Object>> after = data(api.get("/admin/generations"));

            assertEquals(1, after.size());
            assertEquals(before, after.get(0));
            assertEquals(200, api.get((String) ((List<Map<String, Object>>) after.get(0).get("images")).get(0).get("thumbnail_url"))
                    .status());
        }
    }
}
