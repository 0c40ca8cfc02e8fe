package dev.imagerouter.jobs;

import com.standardwebhooks.Webhook;
import dev.imagerouter.settings.CallbackSettings;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.HookReceiver;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Asynchronous jobs through the public API, against the in-process emulators. */
@MicronautTest
class AsyncJobsHttpTest extends SandboxHttpTest {

    private final HookReceiver hooks;

    AsyncJobsHttpTest() throws IOException {
        hooks = new HookReceiver();
    }

    @AfterAll
    void closeHooks() {
        hooks.close();
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.callbacks.initial-backoff", "100ms");
    }

    private ApiClient.Response job(String id) {
        return api.get("/v1/images/jobs/" + id);
    }

    private Map<String, Object> awaitStatus(String id, String status) {
        return await().atMost(Duration.ofSeconds(20)).until(() -> job(id).json(),
                j -> status.equals(j.get("status")) || "failed".equals(j.get("status")));
    }

    @Test
    void respondAsync_answers202WithALocation_reachesSucceeded_andItsCallbackArrivesOnceSignedAsStandardWebhooks() throws Exception {
        int before = hooks.received().size();
        ApiClient.Response created = api.generate("{\"prompt\":\"" + prompt("async") + "\"}", "Prefer", "respond-async",
                "X-Router-Callback-Url", hooks.url());
        assertEquals(202, created.status(), created.text());
        String id = (String) created.json().get("id");
        assertTrue(id.matches("job_[0-9a-f]{24}"), id);
        assertEquals("/v1/images/jobs/" + id, created.header("Location"));
        assertEquals("image.generation.job", created.json().get("object"));
        assertTrue(((String) created.json().get("request_hash")).matches("[0-9a-f]{64}"), created.text());
        assertNotNull(created.json().get("created"));

        Map<String, Object> done = awaitStatus(id, "succeeded");
        assertEquals("succeeded", done.get("status"), done.toString());
        @SuppressWarnings("unchecked") Map<String, Object> result = (Map<String, Object>) done.get("result");
        @SuppressWarnings("unchecked") Map<String, Object> router = (Map<String, Object>) result.get("router");
        assertEquals("leonardo-phoenix", router.get("provider"));
        @SuppressWarnings("unchecked") List<Map<String, Object>> data = (List<Map<String, Object>>) result.get("data");
        assertEquals(200, api.get((String) data.get(0).get("url")).status());

        await().atMost(Duration.ofSeconds(10)).until(() -> hooks.received().size() > before);
        // exactly once: nothing else arrives for a while
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> hooks.received().size() == before + 1);
        HookReceiver.Received hook = hooks.received().get(before);
        Map<String, List<String>> headers = Map.of("webhook-id", List.of(hook.header("webhook-id")),
                "webhook-timestamp", List.of(hook.header("webhook-timestamp")),
                "webhook-signature", List.of(hook.header("webhook-signature")));
        new Webhook(CallbackSettings.SANDBOX_SECRET).verify(hook.body(), headers); // throws if the signature is wrong
        // and independently of the library: v1,<base64 HMAC-SHA256 of id.timestamp.body>
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(CallbackSettings.SANDBOX_SECRET.substring("whsec_".length())),
                "HmacSHA256"));
        String signed = hook.header("webhook-id") + "." + hook.header("webhook-timestamp") + "." + hook.body();
        assertEquals("v1," + Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8))),
                hook.header("webhook-signature"));
        assertEquals("msg_" + id, hook.header("webhook-id"));
        Map<?, ?> body = json.readValue(hook.body(), Map.class);
        assertEquals(id, body.get("id"));
        assertEquals("succeeded", body.get("status"));
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            Map<?, ?> callback = (Map<?, ?>) job(id).json().get("callback");
            return callback != null && "delivered".equals(callback.get("state"));
        });
    }

    @Test
    void aRequestTheCacheAnswers_isAJobBornSucceeded_withTheSynchronousBody() {
        String body = "{\"prompt\":\"" + prompt("cached") + "\"}";
        ApiClient.Response sync = api.generate(body);
        assertEquals(200, sync.status(), sync.text());
        ApiClient.Response created = api.generate(body, "Prefer", "respond-async");
        assertEquals(202, created.status(), created.text());
        assertEquals("succeeded", created.json().get("status"), created.text());
        @SuppressWarnings("unchecked") Map<String, Object> result = (Map<String, Object>) created.json().get("result");
        assertEquals(sync.data().get(0).get("url"), ((List<?>) result.get("data")).stream()
                .map(d -> ((Map<?, ?>) d).get("url")).findFirst().orElseThrow());
        assertEquals(Boolean.TRUE, ((Map<?, ?>) result.get("router")).get("cached"));
        assertEquals(sync.router().get("request_hash"), created.json().get("request_hash"));
    }

    @Test
    void aFailedJob_carriesTheOpenAiErrorShape() {
        ApiClient.Response created = api.generate("{\"prompt\":\"" + prompt("moderated") + "\"}", "Prefer", "respond-async",
                "X-Sandbox-Fault", "leonardo=moderation");
        assertEquals(202, created.status(), created.text());
        Map<String, Object> done = awaitStatus((String) created.json().get("id"), "failed");
        assertEquals("failed", done.get("status"), done.toString());
        Map<?, ?> error = (Map<?, ?>) done.get("error");
        assertEquals("content_policy_violation", error.get("code"), done.toString());
        assertEquals("invalid_request_error", error.get("type"));
        assertTrue(((List<?>) done.get("attempts")).size() >= 1, done.toString());
    }

    @Test
    void withoutTheHeader_theEndpointAnswersAsToday() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("sync") + "\"}", "Prefer", "return=minimal");
        assertEquals(200, r.status(), r.text());
        assertEquals("leonardo-phoenix", r.router().get("provider"));
    }

    @Test
    void badAsyncRequests_getClearErrors() {
        ApiClient.Response stream = api.generate("{\"prompt\":\"x\",\"stream\":true}", "Prefer", "respond-async");
        assertEquals(400, stream.status(), stream.text());
        assertEquals("stream", stream.error().get("param"));
        ApiClient.Response offList = api.generate("{\"prompt\":\"x\"}", "Prefer", "respond-async",
                "X-Router-Callback-Url", "http://hooks.example.com/x");
        assertEquals(400, offList.status(), offList.text());
        assertEquals("X-Router-Callback-Url", offList.error().get("param"));
        ApiClient.Response unknown = api.get("/v1/images/jobs/job_000000000000000000000000");
        assertEquals(404, unknown.status(), unknown.text());
        assertEquals(404, api.get("/v1/images/jobs/not-an-id").status());
    }

    @Test
    void aBatchOfThree_completesWithCountsSucceeded3() {
        String body = "{\"requests\":[{\"prompt\":\"" + prompt("b1") + "\"},{\"prompt\":\"" + prompt("b2")
                + "\",\"size\":\"512x512\"},{\"prompt\":\"" + prompt("b3") + "\",\"response_format\":\"b64_json\"}]}";
        ApiClient.Response created = api.post("/v1/images/batches", "application/json", body.getBytes(StandardCharsets.UTF_8));
        assertEquals(202, created.status(), created.text());
        String id = (String) created.json().get("id");
        assertEquals("/v1/images/batches/" + id, created.header("Location"));
        assertEquals(3, ((Map<?, ?>) created.json().get("counts")).get("total"));
        Map<String, Object> batch = await().atMost(Duration.ofSeconds(20)).until(() -> api.get("/v1/images/batches/" + id).json(),
                b -> "completed".equals(b.get("status")));
        Map<?, ?> counts = (Map<?, ?>) batch.get("counts");
        assertEquals(3, counts.get("succeeded"), batch.toString());
        assertEquals(0, counts.get("failed"), batch.toString());
        List<?> items = (List<?>) batch.get("items");
        assertEquals(3, items.size());
        for (Object item : items) {
            String jobId = (String) ((Map<?, ?>) item).get("id");
            assertEquals("succeeded", job(jobId).json().get("status"));
            List<?> urls = (List<?>) ((Map<?, ?>) item).get("urls");
            assertEquals(200, api.get((String) urls.get(0)).status());
        }
    }

    @Test
    void aBatchWithOneBadRequest_isRefusedWhole_namingIt() {
        String body = "{\"requests\":[{\"prompt\":\"fine\"},{\"prompt\":\"bad\",\"size\":\"13x13\"}]}";
        ApiClient.Response r = api.post("/v1/images/batches", "application/json", body.getBytes(StandardCharsets.UTF_8));
        assertEquals(400, r.status(), r.text());
        assertTrue(((String) r.error().get("param")).startsWith("requests[1]"), r.text());
        assertEquals(0, stats.leonardoCreates());
        ApiClient.Response empty = api.post("/v1/images/batches", "application/json", "{\"requests\":[]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, empty.status(), empty.text());
    }
}
