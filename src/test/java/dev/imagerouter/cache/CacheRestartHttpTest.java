package dev.imagerouter.cache;

import dev.imagerouter.sandbox.SandboxStats;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue #4 acceptance: the durable second level. One application runs, answers a request and is
 * stopped; a second one starts on the same image store directory and answers the same request
 * from disk.
 */
class CacheRestartHttpTest {

    @Test
    void afterRestartOnTheSameStore_earlierRequestIsAHitWithZeroProviderCalls_andItsFilesKeepTheirEtag() {
        Map<String, Object> properties = new HashMap<>(RouterTestSupport.fastSandbox());
        properties.put("micronaut.server.port", -1);
        String body = "{\"prompt\":\"a stone bridge in fog " + UUID.randomUUID() + "\",\"n\":2,\"size\":\"1536x864\"}";

        // Given a generation made and served by a first run of the application
        ApiClient.Response first;
        List<ApiClient.Response> firstFiles;
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            ApiClient api = client(server);
            first = api.generate(body);
            assertEquals(200, first.status(), first.text());
            assertEquals("MISS", first.header("X-Router-Cache"));
            firstFiles = first.data().stream().map(d -> api.get(path((String) d.get("url")))).toList();
        }

        // When a second run starts on the same store directory and gets the same request
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, properties)) {
            ApiClient api = client(server);
            SandboxStats stats = server.getApplicationContext().getBean(SandboxStats.class);
            ApiClient.Response again = api.generate(body);

            // Then it is answered from disk: a HIT, no provider called, the same images
            assertEquals(200, again.status(), again.text());
            assertEquals("HIT", again.header("X-Router-Cache"));
            assertEquals(true, again.router().get("cached"));
            assertEquals(first.router().get("request_hash"), again.router().get("request_hash"));
            assertEquals("leonardo-phoenix", again.router().get("provider"));
            assertEquals(first.router().get("normalised"), again.router().get("normalised"));
            assertEquals(0, stats.leonardoCreates() + stats.leonardoPolls() + stats.openAiGenerates(), "provider calls");
            List<String> firstPaths = first.data().stream().map(d -> path((String) d.get("url"))).toList();
            List<String> againPaths = again.data().stream().map(d -> path((String) d.get("url"))).toList();
            assertEquals(firstPaths, againPaths);

            // And its files still serve, byte for byte, with the same ETag
            for (int i = 0; i < firstPaths.size(); i++) {
                ApiClient.Response file = api.get(againPaths.get(i));
                assertEquals(200, file.status());
                assertEquals(firstFiles.get(i).header("ETag"), file.header("ETag"));
                assertArrayEquals(firstFiles.get(i).body(), file.body());
                assertArrayEquals(new int[]{1536, 864}, RouterTestSupport.imageSize(file.body()));
            }
        }
    }

    private static ApiClient client(EmbeddedServer server) {
        return new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
    }

    /** The path of an image URL: each run has its own port, so URLs differ only there. */
    private static String path(String url) {
        return java.net.URI.create(url).getRawPath();
    }
}
