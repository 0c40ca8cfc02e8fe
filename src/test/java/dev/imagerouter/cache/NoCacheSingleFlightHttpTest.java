package dev.imagerouter.cache;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Identical concurrent {@code Cache-Control: no-cache} requests share one new generation, over real
 * HTTP against the sandbox emulators: one Leonardo create, one replacement of the entry; the request
 * that started it is a MISS ({@code cache="bypass"}), the ones that joined are HITs.
 */
@MicronautTest
class NoCacheSingleFlightHttpTest extends SandboxHttpTest {

    private static List<String> urls(ApiClient.Response r) {
        return r.data().stream().map(d -> (String) d.get("url")).toList();
    }

    /** {@code leonardo_creates} from {@code GET /sandbox/stats}. */
    private long leonardoCreates() {
        ApiClient.Response r = api.get("/sandbox/stats");
        assertEquals(200, r.status(), r.text());
        return ((Number) r.json().get("leonardo_creates")).longValue();
    }

    private double requests(String cache) {
        return api.prometheusSample("image_router_requests_total", "outcome", "success", "cache", cache);
    }

    private double cacheGets(String result) {
        return api.prometheusSample("image_router_cache_gets_total", "result", result);
    }

    @Test
    void tenConcurrentIdenticalNoCacheRequests_makeOneLeonardoCreate_andTheNextRequestGetsTheNewEntry() throws Exception {
        // Given an entry made by OpenAI (Leonardo answered 429)
        String body = "{\"prompt\":\"" + prompt("a kite over dunes") + "\"}";
        ApiClient.Response old = api.generate(body, "X-Sandbox-Fault", "leonardo=429");
        assertEquals(200, old.status(), old.text());
        assertEquals("openai-gpt-image-2", old.router().get("provider"));
        assertEquals(204, api.post("/sandbox/stats/reset", null, new byte[0]).status());
        double hitsBefore = requests("hit");
        double bypassesBefore = requests("bypass");
        double cacheHitsBefore = cacheGets("hit");
        double cacheMissesBefore = cacheGets("miss");

        // When 10 clients send the same no-cache request at the same moment
        int clients = 10;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ApiClient.Response>> futures = new ArrayList<>();
        List<ApiClient.Response> responses = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return api.generate(body, "Cache-Control", "no-cache");
                }));
            }
            assertTrue(ready.await(10, TimeUnit.SECONDS));
            go.countDown();
            for (Future<ApiClient.Response> f : futures) {
                responses.add(f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        // Then Leonardo saw exactly one create, and all ten got the same new image
        assertEquals(1, leonardoCreates(), "Leonardo creates");
        assertEquals(0, stats.openAiGenerates(), "OpenAI generates");
        Set<List<String>> distinct = new HashSet<>();
        int misses = 0;
        for (ApiClient.Response r : responses) {
            assertEquals(200, r.status(), r.text());
            assertEquals("leonardo-phoenix", r.router().get("provider"));
            assertEquals(old.router().get("request_hash"), r.router().get("request_hash"));
            distinct.add(urls(r));
            if ("MISS".equals(r.header("X-Router-Cache"))) {
                misses++;
                assertEquals(false, r.router().get("cached"));
                assertEquals(1, r.attempts().size(), "the request that generated carries the trail");
            } else {
                assertEquals("HIT", r.header("X-Router-Cache"), "a joiner");
                assertEquals(true, r.router().get("cached"));
            }
        }
        assertEquals(1, distinct.size(), "distinct URL lists: " + distinct);
        assertEquals(1, misses, "exactly one request started the generation");
        // the one that generated counts as a bypass, the nine that joined as hits; they are not cache lookups
        assertEquals(bypassesBefore + 1, requests("bypass"));
        assertEquals(hitsBefore + 9, requests("hit"));
        assertEquals(cacheHitsBefore, cacheGets("hit"));
        assertEquals(cacheMissesBefore, cacheGets("miss"));

        // And a later plain request is served the new entry, with no provider call
        ApiClient.Response next = api.generate(body);
        assertEquals(200, next.status(), next.text());
        assertEquals("HIT", next.header("X-Router-Cache"));
        assertEquals("leonardo-phoenix", next.router().get("provider"));
        assertEquals(distinct.iterator().next(), urls(next));
        assertEquals(1, leonardoCreates());
        assertEquals(0, stats.openAiGenerates());
    }

    @Test
    void aFailedNoCacheGeneration_keepsTheEntry_andTheNextNoCacheRequestGeneratesAgain() {
        String body = "{\"prompt\":\"" + prompt("a kite in the rain") + "\"}";
        ApiClient.Response old = api.generate(body, "X-Sandbox-Fault", "leonardo=429");
        assertEquals("openai-gpt-image-2", old.router().get("provider"));

        ApiClient.Response failed = api.generate(body, "Cache-Control", "no-cache", "X-Sandbox-Fault", "leonardo=failed,openai=500");
        assertEquals(502, failed.status(), failed.text());
        ApiClient.Response plain = api.generate(body);
        assertEquals("HIT", plain.header("X-Router-Cache"));
        assertEquals("openai-gpt-image-2", plain.router().get("provider"));
        assertEquals(urls(old), urls(plain));
        stats.reset();

        ApiClient.Response retry = api.generate(body, "Cache-Control", "no-cache");

        assertEquals(200, retry.status(), retry.text());
        assertEquals("MISS", retry.header("X-Router-Cache"));
        assertEquals("leonardo-phoenix", retry.router().get("provider"));
        assertEquals(1, leonardoCreates());
        assertEquals("leonardo-phoenix", api.generate(body).router().get("provider"));
    }
}
