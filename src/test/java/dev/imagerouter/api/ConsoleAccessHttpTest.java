package dev.imagerouter.api;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #26 acceptance, over HTTP against a live-mode router (providers never reached): {@code /console}
 * and {@code /admin/generations} refuse a client key and accept the admin key, as a Bearer token or as
 * the password of HTTP Basic (how a browser sends it; GET only); the page weighs under 100 KB before
 * images, names nothing outside its origin and is served with a same-origin Content-Security-Policy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleAccessHttpTest {

    static final String CLIENT_KEY = "blog-key-77aa21c0e4f9b135";
    static final String ADMIN_KEY = "admin-key-9f8e7d6c5b4a3210";
    /** The page's own files, as the page names them. */
    static final List<String> PAGE_FILES = List.of("/console", "/console/console.css", "/console/console.js");

    private EmbeddedServer server;
    private ApiClient api;

    @BeforeAll
    void start() {
        Map<String, Object> p = RouterTestSupport.liveWithUnreachableProviders();
        p.put("router.auth.api-keys", "blog:" + CLIENT_KEY);
        p.put("router.auth.admin-key", ADMIN_KEY);
        server = ApplicationContext.run(EmbeddedServer.class, p);
        api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
        assertTrue(api.get("/health").text().contains("\"mode\":\"live\""));
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static void assertRefused(ApiClient.Response r) {
        assertEquals(401, r.status(), r.text());
        assertEquals("invalid_api_key", r.error().get("code"));
        assertFalse(r.text().contains(CLIENT_KEY) || r.text().contains(ADMIN_KEY), r.text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/console", "/console/console.js", "/admin/generations", "/admin/generations?limit=5", "/admin/chain"})
    void aClientKey_isRefused_asBearerOrBasic(String path) {
        assertRefused(api.get(path, "Authorization", "Bearer " + CLIENT_KEY));
        assertRefused(api.get(path, "Authorization", basic("blog", CLIENT_KEY)));
        assertRefused(api.get(path));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/console", "/console/console.css", "/admin/generations", "/admin/generations?limit=5"})
    void theAdminKey_isAccepted_asBearerOrAsTheBasicPassword(String path) {
        assertEquals(200, api.get(path, "Authorization", "Bearer " + ADMIN_KEY).status());
        assertEquals(200, api.get(path, "Authorization", basic("admin", ADMIN_KEY)).status());
        assertEquals(200, api.get(path, "Authorization", basic("anyone", ADMIN_KEY)).status());
    }

    @Test
    void theConsole_challengesWithBasic_soABrowserAsksForTheKey_whileTheApiKeepsBearer() {
        ApiClient.Response page = api.get("/console");
        assertRefused(page);
        assertTrue(page.header("WWW-Authenticate").startsWith("Basic realm=\"image-router admin\""), page.header("WWW-Authenticate"));
        assertEquals("Bearer", api.get("/admin/generations").header("WWW-Authenticate"));

        ApiClient.Response list = api.get("/admin/generations", "Authorization", basic("admin", ADMIN_KEY));
        assertEquals("list", list.json().get("object"));
    }

    @Test
    void basicCredentials_openNothingButSafeAdminReads_noReloadAndNoClientEndpoint() {
        String admin = basic("admin", ADMIN_KEY);
        assertRefused(api.post("/admin/reload", null, new byte[0], "Authorization", admin));
        assertRefused(api.generate("{\"prompt\":\"a fox\"}", "Authorization", admin));
        assertRefused(api.get("/console", "Authorization", basic("admin", "")));
        assertRefused(api.get("/console", "Authorization", "Basic not-base64!"));
        assertRefused(api.get("/console", "Authorization", basic("admin", ADMIN_KEY + "x")));
    }

    @Test
    void thePage_weighsUnder100KB_beforeImages_andIsServedWithASameOriginPolicy() {
        long total = 0;
        for (String path : PAGE_FILES) {
            ApiClient.Response r = api.get(path, "Authorization", "Bearer " + ADMIN_KEY);
            assertEquals(200, r.status(), path);
            assertEquals("nosniff", r.header("X-Content-Type-Options"));
            String csp = r.header("Content-Security-Policy");
            assertNotNull(csp, path);
            assertTrue(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'") && csp.contains("img-src 'self'")
                    && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp);
            total += r.body().length;
        }
        assertTrue(total < 100 * 1024, "page weight " + total + " bytes");

        ApiClient.Response page = api.get("/console", "Authorization", "Bearer " + ADMIN_KEY);
        assertTrue(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type"));
        assertEquals(304, api.get("/console/console.js", "Authorization", "Bearer " + ADMIN_KEY,
                "If-None-Match", api.get("/console/console.js", "Authorization", "Bearer " + ADMIN_KEY).header("ETag")).status());
        assertEquals(404, api.get("/console/index.html", "Authorization", "Bearer " + ADMIN_KEY).status());
        assertEquals(404, api.get("/console/..%2Fapplication.yml", "Authorization", "Bearer " + ADMIN_KEY).status());
    }

    /** Every file of the page, as the jar holds it: no absolute URL, and every src/href of the HTML on this origin. */
    @Test
    void theStaticFiles_nameNoAbsoluteUrl_andTheHtmlLoadsOnlyFromThisOrigin() throws IOException {
        for (String name : ConsoleController.FILES.keySet()) {
            if (name.endsWith(".png")) {
                continue;
            }
            String text = resource(name);
            assertFalse(text.contains("http://") || text.contains("https://") || text.contains("//cdn")
                    || text.contains("@import") || text.contains("url("), name + " names something outside the page");
        }
        Matcher refs = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(resource("index.html"));
        int count = 0;
        while (refs.find()) {
            String ref = refs.group(1);
            assertTrue(ref.startsWith("/console/") || ref.startsWith("#"), "the page loads " + ref);
            count++;
        }
        assertTrue(count >= 3, "stylesheet, script and icon");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ConsoleController.class.getResourceAsStream("/console/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
