package dev.imagerouter.storage;

import dev.imagerouter.sandbox.SandboxStats;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #4 acceptance: a Leonardo image URL on a host outside the download allow-list is never
 * fetched, and the chain falls back. The Leonardo emulator's CDN is on 127.0.0.1; here the
 * allow-list is Leonardo's real CDN only and the sandbox's own addition of loopback is switched off.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DownloadAllowListHttpTest implements TestPropertyProvider {

    @Inject
    EmbeddedServer server;
    @Inject
    JsonMapper json;
    @Inject
    SandboxStats stats;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = RouterTestSupport.fastSandbox();
        p.put("router.storage.download.allowed-hosts", "cdn.leonardo.ai,*.leonardo.ai");
        p.put("router.sandbox.allow-emulator-downloads", "false");
        return p;
    }

    @Test
    void leonardoImageUrlOnAHostOutsideTheAllowList_isNotFetched_andFallsBackToOpenAi() {
        stats.reset();
        ApiClient api = new ApiClient(server.getURL().toString(), json);

        ApiClient.Response r = api.generate("{\"prompt\":\"a glass greenhouse " + UUID.randomUUID() + "\",\"size\":\"1536x864\"}");

        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));
        List<Map<String, Object>> attempts = r.attempts();
        assertEquals("leonardo-phoenix", attempts.get(0).get("provider"));
        assertEquals("MALFORMED_RESPONSE", attempts.get(0).get("failure_kind"));
        assertTrue(String.valueOf(attempts.get(0).get("reason")).contains("not allowed"), attempts.get(0).toString());
        assertEquals(1, stats.leonardoCreates(), "Leonardo made the image once (no retry)");
        assertEquals(0, stats.leonardoCdnFetches(), "the image URL was never fetched");
        assertEquals(1, stats.openAiGenerates());
        byte[] png = api.get((String) r.data().get(0).get("url")).body();
        assertArrayEquals(new int[]{1536, 864}, RouterTestSupport.imageSize(png));
    }
}
