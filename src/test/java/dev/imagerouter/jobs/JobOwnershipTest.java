package dev.imagerouter.jobs;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.HookReceiver;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Jobs belong to their client; a client's default callback URL; Idempotency-Key on async requests. */
@MicronautTest
class JobOwnershipTest extends SandboxHttpTest {

    private static final String BLOG = "Bearer blog-key-0123456789abcdef";
    private static final String SHOP = "Bearer shop-key-0123456789abcdef";
    private final HookReceiver hooks;

    JobOwnershipTest() throws IOException {
        hooks = new HookReceiver();
    }

    @AfterAll
    void closeHooks() {
        hooks.close();
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.auth.api-keys", "blog:blog-key-0123456789abcdef,shop:shop-key-0123456789abcdef");
        p.put("router.jobs.callback-urls", "blog=" + hooks.url());
    }

    private ApiClient.Response create(String auth, String body, String... more) {
        String[] headers = new String[4 + more.length];
        headers[0] = "Authorization";
        headers[1] = auth;
        headers[2] = "Prefer";
        headers[3] = "respond-async";
        System.arraycopy(more, 0, headers, 4, more.length);
        return api.generate(body, headers);
    }

    @Test
    void anotherClientsJob_isNotFound_forGetDeleteAndEvents_andTheOwnersDefaultCallbackIsUsed() {
        ApiClient.Response created = create(BLOG, "{\"prompt\":\"" + prompt("owned") + "\"}");
        assertEquals(202, created.status(), created.text());
        String id = (String) created.json().get("id");
        assertEquals(hooks.url(), ((Map<?, ?>) created.json().get("callback")).get("url"), "blog's default callback URL");

        assertEquals(404, api.get("/v1/images/jobs/" + id, "Authorization", SHOP).status());
        assertEquals(404, api.send(api.request("/v1/images/jobs/" + id, "Authorization", SHOP).DELETE().build()).status());
        assertEquals(404, api.get("/v1/images/jobs/" + id + "/events", "Authorization", SHOP).status());
        assertEquals(401, api.get("/v1/images/jobs/" + id).status());

        await().atMost(Duration.ofSeconds(20)).until(() ->
                "succeeded".equals(api.get("/v1/images/jobs/" + id, "Authorization", BLOG).json().get("status")));
        await().atMost(Duration.ofSeconds(10)).until(() -> hooks.received().stream().anyMatch(h -> h.body().contains(id)));

        ApiClient.Response shops = create(SHOP, "{\"prompt\":\"" + prompt("no default") + "\"}");
        assertEquals(202, shops.status(), shops.text());
        assertEquals(null, shops.json().get("callback"), "shop has no default callback URL");
        String shopId = (String) shops.json().get("id");
        await().atMost(Duration.ofSeconds(20)).until(() ->
                "succeeded".equals(api.get("/v1/images/jobs/" + shopId, "Authorization", SHOP).json().get("status")));
    }

    @Test
    void anIdempotencyKeyReplayedAsync_answersTheSameJob_andADifferentRequestWithItIs422() {
        String body = "{\"prompt\":\"" + prompt("idempotent") + "\"}";
        ApiClient.Response first = create(BLOG, body, "Idempotency-Key", "batch-7-item-3");
        ApiClient.Response again = create(BLOG, body, "Idempotency-Key", "batch-7-item-3");
        assertEquals(202, first.status(), first.text());
        assertEquals(202, again.status(), again.text());
        assertEquals(first.json().get("id"), again.json().get("id"));
        ApiClient.Response other = create(BLOG, "{\"prompt\":\"" + prompt("other") + "\"}", "Idempotency-Key", "batch-7-item-3");
        assertEquals(422, other.status(), other.text());
        assertEquals("idempotency_key_reused", other.error().get("code"));
        ApiClient.Response otherClient = create(SHOP, body, "Idempotency-Key", "batch-7-item-3");
        assertEquals(202, otherClient.status(), "keys are per client");
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(
                api.get("/v1/images/jobs/" + first.json().get("id"), "Authorization", BLOG).json().get("status")));
        assertEquals(1, stats.leonardoCreates() + stats.openAiGenerates() - countOf(otherClient),
                "the replay made no second generation");
    }

    private long countOf(ApiClient.Response otherClient) {
        String id = (String) otherClient.json().get("id");
        Map<String, Object> job = await().atMost(Duration.ofSeconds(20)).until(
                () -> api.get("/v1/images/jobs/" + id, "Authorization", SHOP).json(), j -> "succeeded".equals(j.get("status")));
        Map<?, ?> router = (Map<?, ?>) ((Map<?, ?>) job.get("result")).get("router");
        return Boolean.TRUE.equals(router.get("cached")) ? 0 : 1;
    }

    @Test
    void aBatchNeedsJsonAndAKey() {
        ApiClient.Response noKey = api.post("/v1/images/batches", "application/json",
                "{\"requests\":[{\"prompt\":\"x\"}]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(401, noKey.status());
        ApiClient.Response text = api.post("/v1/images/batches", "text/plain",
                "{\"requests\":[{\"prompt\":\"x\"}]}".getBytes(StandardCharsets.UTF_8), "Authorization", BLOG);
        assertEquals(415, text.status(), text.text());
    }
}
