package dev.imagerouter.api;

import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.sandbox.SandboxKeys;
import dev.imagerouter.testing.ApiClient;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #7 acceptance, client authentication: client keys, the admin key, open endpoints, deny by default. */
@MicronautTest
class ClientAuthTest extends SandboxHttpTest {

    static final String CI_KEY = "ci-key-3c1f0a9e5d7b2468";
    static final String BLOG_KEY = "blog-key-77aa21c0e4f9b135";
    static final String BARE_KEY = "bare-key-5e0c9d8a7b6f4321";
    static final String ADMIN_KEY = "admin-key-9f8e7d6c5b4a3210";

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.auth.api-keys", "ci:" + CI_KEY + ", blog:" + BLOG_KEY + "," + BARE_KEY);
        p.put("router.auth.admin-key", ADMIN_KEY);
    }

    private static String body() {
        return "{\"prompt\":\"a quiet harbour " + UUID.randomUUID() + "\",\"size\":\"512x512\"}";
    }

    private static void assertRefused(ApiClient.Response r, String... secretsNotEchoed) {
        assertEquals(401, r.status(), r.text());
        assertEquals("invalid_api_key", r.error().get("code"));
        assertEquals("invalid_request_error", r.error().get("type"));
        assertTrue(r.error().containsKey("param") && r.error().containsKey("message"), r.text());
        assertEquals("Bearer", r.header("WWW-Authenticate"));
        for (String secret : secretsNotEchoed) {
            assertFalse(r.text().contains(secret), "the answer echoes what was sent: " + r.text());
        }
    }

    @Test
    void missingClientKey_isRefused401_andNoProviderIsCalled() {
        assertRefused(api.generate(body()));
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer wrong-key-0000000000000000", "Bearer ci-key-3c1f0a9e5d7b246", "Bearer ci-key-3c1f0a9e5d7b24689",
            "Basic Y2k6Y2kta2V5", "ci-key-3c1f0a9e5d7b2468", "Bearer ", "Bearer"})
    void wrongClientKey_isRefused401_withoutEchoingIt(String authorization) {
        ApiClient.Response r = api.generate(body(), "Authorization", authorization);

        assertRefused(r, "wrong-key", "ci-key-3c1f", "Y2k6");
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer " + CI_KEY, "Bearer " + BLOG_KEY, "bearer " + BARE_KEY})
    void validClientKey_generates200(String authorization) {
        ApiClient.Response r = api.generate(body(), "Authorization", authorization);

        assertEquals(200, r.status(), r.text());
        assertEquals(1, r.data().size());
    }

    @Test
    void adminKey_isRefusedOnClientEndpoints() {
        assertRefused(api.generate(body(), "Authorization", "Bearer " + ADMIN_KEY), ADMIN_KEY);
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/admin/config", "/admin/chain", "//admin/config", "/ADMIN/config", "/admin/./config",
            "/v1/../admin/config", "/admin"})
    void clientKey_isRefusedOnAdminEndpoints_whateverThePathSpelling(String path) {
        assertRefused(api.get(path, "Authorization", "Bearer " + CI_KEY), CI_KEY);
        assertRefused(api.get(path));
    }

    @Test
    void clientKey_isRefusedOnAdminReload() {
        ApiClient.Response r = api.post("/admin/reload", "application/json", new byte[0], "Authorization", "Bearer " + CI_KEY);
        assertRefused(r, CI_KEY);
    }

    @Test
    void adminKey_opensAdminEndpoints() {
        ApiClient.Response r = api.get("/admin/config", "Authorization", "Bearer " + ADMIN_KEY);

        assertEquals(200, r.status(), r.text());
        assertEquals(200, api.get("/admin/chain", "Authorization", "Bearer " + ADMIN_KEY).status());
    }

    @Test
    void healthPrometheusFilesAndEmulators_needNoClientKey() {
        assertEquals(200, api.get("/health").status());
        assertEquals(200, api.get("/prometheus").status());
        // an unknown image is a 404, not a 401: file URLs are meant to be embedded
        assertEquals(404, api.get("/v1/images/files/" + "0".repeat(64) + ".png").status());
        // the emulators keep their own provider-style auth
        assertEquals(200, api.get("/sandbox/leonardo/api/rest/v1/me", "Authorization", "Bearer " + SandboxKeys.LEONARDO_API_KEY).status());
    }

    @Test
    void unknownPath_isRefusedWithoutKey_andNotFoundWithOne() {
        assertRefused(api.get("/v1/nothing-here"));
        ApiClient.Response r = api.get("/v1/nothing-here", "Authorization", "Bearer " + CI_KEY);
        assertEquals(404, r.status());
        assertEquals("not_found", r.error().get("code"));
    }
}
