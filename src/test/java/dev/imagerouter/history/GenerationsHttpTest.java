package dev.imagerouter.history;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #26: {@code GET /admin/generations} over real HTTP against a sandboxed router: what a
 * generation made through the API looks like there (trail with actions, thumbnail served by the
 * files route and smaller than the image), a cache hit listed without a second thumbnail, paging
 * with {@code limit} and {@code before}, and bad parameters answered 400 in the OpenAI error shape.
 */
@MicronautTest
class GenerationsHttpTest extends SandboxHttpTest {

    @Inject
    GenerationHistory history;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.history.cache-hit-interval", "0s"); // every cache hit listed (the default thins them: GenerationHistoryTest)
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> data(ApiClient.Response r) {
        return (List<Map<String, Object>>) r.json().get("data");
    }

    /** The newest listed entry of {@code requestHash}, once listed (its thumbnail is made just after the answer). */
    private Map<String, Object> listed(String requestHash, int count) {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<Map<String, Object>> matching = data(api.get("/admin/generations?limit=200")).stream()
                    .filter(g -> requestHash.equals(g.get("request_hash"))).toList();
            return matching.size() >= count ? matching.get(0) : null;
        }, e -> e != null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> image(Map<String, Object> generation) {
        return ((List<Map<String, Object>>) generation.get("images")).get(0);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> attempts(Map<String, Object> generation) {
        return (List<Map<String, Object>>) generation.get("attempts");
    }

    @Test
    void aFallbackGeneration_isListedWithItsTrailActions_andAThumbnailSmallerThanItsImage() {
        String prompt = prompt("a lighthouse at dusk");
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt + "\",\"size\":\"1536x864\",\"quality\":\"low\"}",
                "X-Sandbox-Fault", "leonardo=429");
        assertEquals(200, r.status(), r.text());
        String hash = (String) r.router().get("request_hash");

        Map<String, Object> g = listed(hash, 1);

        assertEquals(prompt, g.get("prompt"));
        assertEquals("anonymous", g.get("client"));
        assertEquals("openai-gpt-image-2", g.get("provider"));
        assertEquals("gpt-image-2", g.get("model"));
        assertEquals("1536x864", g.get("size"));
        assertEquals("low", g.get("quality"));
        assertEquals(1, g.get("n"));
        assertEquals("png", g.get("output_format"));
        assertEquals(false, g.get("cached"));
        assertEquals("leonardo=429", g.get("sandbox_fault"));
        assertEquals(r.header("X-Request-Id"), g.get("request_id"));
        assertTrue(((Number) g.get("duration_ms")).longValue() >= 0);
        assertNotNull(g.get("cost"), "the fallback's cost");
        assertEquals("leonardo-phoenix", attempts(g).get(0).get("provider"));
        assertEquals("RATE_LIMITED", attempts(g).get(0).get("failure_kind"));
        assertEquals("fallback", attempts(g).get(0).get("action"));
        assertEquals("success", attempts(g).get(1).get("outcome"));
        assertNull(attempts(g).get(1).get("action"));

        String url = (String) image(g).get("url");
        String thumbnail = (String) image(g).get("thumbnail_url");
        assertEquals(r.data().get(0).get("url").toString().replaceFirst("^https?://[^/]+", ""), url);
        ApiClient.Response full = api.get(url);
        ApiClient.Response small = api.get(thumbnail);
        assertEquals(200, small.status());
        assertTrue(thumbnail.endsWith(".webp"), thumbnail);
        assertEquals("image/webp", small.header("Content-Type"));
        assertTrue(small.body().length * 5 < full.body().length, small.body().length + " bytes against " + full.body().length);
        int[] size = RouterTestSupport.imageSize(small.body());
        assertEquals(256, size[0]);
        assertEquals(144, size[1]);
    }

    @Test
    void aSecondIdenticalRequest_isListedAsCached_withTheSameThumbnail_andMakesNoOther() {
        String body = "{\"prompt\":\"" + prompt("a red fox") + "\"}";
        String hash = (String) api.generate(body).router().get("request_hash");
        Map<String, Object> first = listed(hash, 1);
        long made = history.thumbnailsMade();

        ApiClient.Response again = api.generate(body);
        assertEquals("HIT", again.header("X-Router-Cache"));
        Map<String, Object> second = listed(hash, 2);

        assertEquals(true, second.get("cached"));
        assertNull(second.get("cost"), "a cache hit cost nothing");
        assertTrue(attempts(second).isEmpty());
        assertEquals(first.get("provider"), second.get("provider"));
        assertEquals(image(first), image(second));
        assertEquals(made, history.thumbnailsMade(), "no second thumbnail");
        assertTrue(((String) second.get("id")).compareTo((String) first.get("id")) > 0, "newest first");
    }

    @Test
    void limitAndBefore_pageTheHistory_newestFirst_boundedTo200() {
        String body = "{\"prompt\":\"" + prompt("a paged fox") + "\",\"size\":\"512x512\"}";
        String hash = (String) api.generate(body).router().get("request_hash");
        for (int i = 0; i < 52; i++) {
            assertEquals("HIT", api.generate(body).header("X-Router-Cache")); // cache hits: listed, and quick
        }
        listed(hash, 53);

        ApiClient.Response page = api.get("/admin/generations");
        assertEquals(200, page.status());
        assertEquals("list", page.json().get("object"));
        assertEquals(50, data(page).size(), "default limit");
        assertEquals(true, page.json().get("has_more"));
        assertEquals(data(page).get(0).get("id"), page.json().get("first_id"));
        assertEquals(data(page).get(49).get("id"), page.json().get("last_id"));
        List<String> ids = data(page).stream().map(g -> (String) g.get("id")).toList();
        assertEquals(ids.stream().sorted(java.util.Comparator.reverseOrder()).toList(), ids, "newest first");

        ApiClient.Response two = api.get("/admin/generations?limit=2");
        ApiClient.Response next = api.get("/admin/generations?limit=2&before=" + two.json().get("last_id"));
        assertEquals(ids.subList(0, 2), data(two).stream().map(g -> g.get("id")).toList());
        assertEquals(ids.subList(2, 4), data(next).stream().map(g -> g.get("id")).toList());

        assertTrue(data(api.get("/admin/generations?limit=200")).size() <= 200);
        ApiClient.Response past = api.get("/admin/generations?before=0000000000000-00000000");
        assertTrue(data(past).isEmpty());
        assertFalse((Boolean) past.json().get("has_more"));
        assertNull(past.json().get("last_id"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "limit=0|limit", "limit=201|limit", "limit=-1|limit", "limit=abc|limit", "limit=1.5|limit", "limit=|limit",
            "limit=99999999999|limit", "before=xyz|before", "before=1764910000123|before",
            "before=1764910000123-3FA9C2D1|before", "limit=5&before=1764910000123-3fa9c2d1x|before"})
    void badParameters_are400_inTheOpenAiErrorShape_namingTheParameter(String query, String param) {
        ApiClient.Response r = api.get("/admin/generations?" + query);

        assertEquals(400, r.status(), r.text());
        assertEquals(param, r.error().get("param"));
        assertEquals("invalid_value", r.error().get("code"));
        assertEquals("invalid_request_error", r.error().get("type"));
        assertTrue(r.error().get("message").toString().startsWith(param + " must be"), r.text());
    }
}
