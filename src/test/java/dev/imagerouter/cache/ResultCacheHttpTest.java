package dev.imagerouter.cache;

import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.ApiClient;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #4 acceptance for the result cache, over real HTTP against the sandbox emulators: single
 * flight, hits without provider calls, {@code Cache-Control: no-cache}, failures not cached, the
 * canonical request hash, and the cache statistics in Prometheus. (Restart: {@link CacheRestartHttpTest}.)
 */
@MicronautTest
class ResultCacheHttpTest extends SandboxHttpTest {

    /** A prompt no other test (or earlier run on the same store) has used: results are cached by request hash. */
    private static String prompt() {
        return "a paper boat on a pond " + UUID.randomUUID();
    }

    private static List<String> urls(ApiClient.Response r) {
        return r.data().stream().map(d -> (String) d.get("url")).toList();
    }

    @Test
    void fiftyConcurrentIdenticalRequests_makeOneLeonardoCreate_andAllGetTheSameUrls() throws Exception {
        // Given 50 clients ready to send the same request at the same moment
        String body = "{\"prompt\":\"" + prompt() + "\",\"n\":2}";
        int clients = 50;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ApiClient.Response>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return api.generate(body);
                }));
            }
            assertTrue(ready.await(10, TimeUnit.SECONDS));

            // When they all send it
            go.countDown();
            List<ApiClient.Response> responses = new ArrayList<>();
            for (Future<ApiClient.Response> f : futures) {
                responses.add(f.get(60, TimeUnit.SECONDS));
            }

            // Then Leonardo saw exactly one create, OpenAI nothing, and every client got the same two URLs
            assertEquals(1, stats.leonardoCreates(), "Leonardo creates");
            assertEquals(0, stats.openAiGenerates(), "OpenAI generates");
            Set<List<String>> distinctUrls = new HashSet<>();
            int misses = 0;
            for (ApiClient.Response r : responses) {
                assertEquals(200, r.status(), r.text());
                distinctUrls.add(urls(r));
                if ("MISS".equals(r.header("X-Router-Cache"))) {
                    misses++;
                    assertEquals(false, r.router().get("cached"));
                } else {
                    assertEquals("HIT", r.header("X-Router-Cache"));
                    assertEquals(true, r.router().get("cached"));
                }
            }
            assertEquals(1, distinctUrls.size(), "distinct URL lists: " + distinctUrls);
            assertEquals(2, distinctUrls.iterator().next().size());
            assertEquals(1, misses, "exactly one request started the generation");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void repeatedRequestAfterCompletion_isAHit_withZeroProviderCalls() {
        String body = "{\"prompt\":\"" + prompt() + "\"}";
        ApiClient.Response first = api.generate(body);
        assertEquals(200, first.status(), first.text());
        assertEquals("MISS", first.header("X-Router-Cache"));
        assertEquals(false, first.router().get("cached"));
        stats.reset();

        ApiClient.Response again = api.generate(body);

        assertEquals(200, again.status(), again.text());
        assertEquals("HIT", again.header("X-Router-Cache"));
        assertEquals(true, again.router().get("cached"));
        assertEquals(0, stats.leonardoCreates() + stats.leonardoPolls() + stats.openAiGenerates(), "provider calls");
        assertEquals(urls(first), urls(again));
        assertEquals(first.router().get("request_hash"), again.router().get("request_hash"));
        assertEquals("leonardo-phoenix", again.header("X-Router-Provider"));
    }

    @Test
    void noCache_forcesAFreshGeneration_andReplacesTheEntryInMemoryAndOnDisk() throws IOException {
        String body = "{\"prompt\":\"" + prompt() + "\"}";
        ApiClient.Response first = api.generate(body);
        assertEquals("leonardo-phoenix", first.router().get("provider"));
        String hash = (String) first.router().get("request_hash");

        // When the same request says Cache-Control: no-cache, a new generation is made
        ApiClient.Response fresh = api.generate(body, "Cache-Control", "no-cache");
        assertEquals(200, fresh.status(), fresh.text());
        assertEquals("MISS", fresh.header("X-Router-Cache"));
        assertEquals(false, fresh.router().get("cached"));
        assertEquals(2, stats.leonardoCreates(), "one create for the first request, one for the no-cache one");
        assertEquals(hash, fresh.router().get("request_hash"));

        // And a no-cache request that OpenAI answers replaces the entry: the next plain request is a
        // HIT served from OpenAI's images, in memory and in the durable record
        ApiClient.Response replaced = api.generate(body, "Cache-Control", "no-cache", "X-Sandbox-Fault", "leonardo=429");
        assertEquals("openai-gpt-image-2", replaced.router().get("provider"));
        stats.reset();
        ApiClient.Response next = api.generate(body);
        assertEquals("HIT", next.header("X-Router-Cache"));
        assertEquals("openai-gpt-image-2", next.router().get("provider"));
        assertEquals(urls(replaced), urls(next));
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
        String record = Files.readString(Path.of(property("router.storage.dir"), "records", hash.substring(0, 2), hash + ".json"));
        assertTrue(record.contains("\"provider\":\"openai-gpt-image-2\""), record);
    }

    @Test
    void failedGeneration_isNotCached_nextIdenticalRequestCallsTheProvidersAgain() {
        String body = "{\"prompt\":\"" + prompt() + "\"}";
        // Given a request both providers fail (the fault header is not part of the request hash)
        ApiClient.Response failed = api.generate(body, "X-Sandbox-Fault", "leonardo=failed,openai=500");
        assertEquals(502, failed.status(), failed.text());
        stats.reset();

        // When the identical request is sent without faults
        ApiClient.Response next = api.generate(body);

        // Then the providers are called again, and it is a MISS
        assertEquals(200, next.status(), next.text());
        assertEquals("MISS", next.header("X-Router-Cache"));
        assertEquals(false, next.router().get("cached"));
        assertEquals(1, stats.leonardoCreates());
        assertEquals("leonardo-phoenix", next.router().get("provider"));
    }

    @Test
    void equivalentRequestsWrittenDifferently_haveOneRequestHash_andShareOneGeneration() {
        String prompt = prompt();
        // Defaults omitted, in one key order ...
        ApiClient.Response shortForm = api.generate("{\"prompt\":\"" + prompt + "\",\"style\":\"cinematic\"}");
        // ... and spelled out, in another order, with fields that are not part of the hash
        ApiClient.Response longForm = api.generate("{\"output_format\":\"png\",\"quality\":\"auto\",\"n\":1,"
                + "\"size\":\"1024x1024\",\"style\":\" CINEMATIC \",\"negative_prompt\":\"\",\"response_format\":\"url\","
                + "\"model\":\"gpt-image-1\",\"user\":\"pipeline-7\",\"prompt\":\"" + prompt + "\"}");
        ApiClient.Response autoSize = api.generate("{\"size\":\"auto\",\"prompt\":\"" + prompt + "\",\"style\":\"Cinematic\"}");
        ApiClient.Response otherSeed = api.generate("{\"prompt\":\"" + prompt + "\",\"style\":\"cinematic\",\"seed\":7}");

        String hash = (String) shortForm.router().get("request_hash");
        assertTrue(hash.matches("[0-9a-f]{64}"), hash);
        assertEquals(hash, longForm.router().get("request_hash"));
        assertEquals(hash, autoSize.router().get("request_hash"));
        assertEquals("HIT", longForm.header("X-Router-Cache"));
        assertEquals("HIT", autoSize.header("X-Router-Cache"));
        assertNotEquals(hash, otherSeed.router().get("request_hash"));
        assertEquals(2, stats.leonardoCreates(), "one generation for the three equivalent requests, one for the other seed");
    }

    @Test
    void cacheStatistics_moveInPrometheus() {
        String body = "{\"prompt\":\"" + prompt() + "\"}";
        double hitsBefore = metric("image_router_cache_gets_total", "result=\"hit\"");
        double missesBefore = metric("image_router_cache_gets_total", "result=\"miss\"");
        double loadsBefore = metric("image_router_cache_load_duration_seconds_count", "");

        api.generate(body);
        api.generate(body);
        api.generate(body);

        assertEquals(missesBefore + 1, metric("image_router_cache_gets_total", "result=\"miss\""));
        assertEquals(hitsBefore + 2, metric("image_router_cache_gets_total", "result=\"hit\""));
        assertEquals(loadsBefore + 1, metric("image_router_cache_load_duration_seconds_count", ""));
        assertTrue(metric("image_router_cache_size", "") >= 1);
    }

    /** One sample from GET /prometheus: the series {@code name} whose labels contain {@code label}; 0 when absent. */
    private double metric(String name, String label) {
        ApiClient.Response r = api.get("/prometheus");
        assertEquals(200, r.status());
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(r.text());
        while (m.find()) {
            if (label.isEmpty() || (m.group(1) != null && m.group(1).contains(label))) {
                return Double.parseDouble(m.group(2));
            }
        }
        return 0;
    }
}
