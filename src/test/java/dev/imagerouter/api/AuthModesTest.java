package dev.imagerouter.api;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #7 acceptance, the two modes without keys: sandbox stays open for local use and says so at
 * startup; outside sandbox, no client key and no admin key means every client and admin request is refused.
 */
class AuthModesTest {

    private record Run(ApiClient api, List<String> startupLines) {
    }

    private static void withRouter(Map<String, Object> properties, java.util.function.Consumer<Run> test) {
        try (LogCapture logs = new LogCapture();
             ApplicationContext context = ApplicationContext.run(properties, "test")) {
            EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
            test.accept(new Run(new ApiClient(server.getURL().toString(), context.getBean(JsonMapper.class)), logs.lines()));
        }
    }

    @Test
    void sandboxWithoutKeys_isOpen_andWarnsAtStartup() {
        withRouter(new HashMap<>(RouterTestSupport.fastSandbox()), run -> {
            assertTrue(run.startupLines().stream().anyMatch(l -> l.startsWith("WARN") && l.contains("AUTH OPEN")), run.startupLines().toString());
            assertTrue(run.startupLines().stream().anyMatch(l -> l.startsWith("WARN") && l.contains("ADMIN OPEN")));
            ApiClient.Response r = run.api().generate("{\"prompt\":\"an open door " + UUID.randomUUID() + "\",\"size\":\"256x256\"}");
            assertEquals(200, r.status(), r.text());
            assertEquals(200, run.api().get("/admin/chain").status());
        });
    }

    @Test
    void protectedMetrics_needAClientOrTheAdminKey_andFilesCanBeProtectedToo() {
        Map<String, Object> p = new HashMap<>(RouterTestSupport.fastSandbox());
        p.put("router.auth.api-keys", "scraper:scraper-key-000000000001");
        p.put("router.auth.admin-key", "modes-admin-key-00000000001");
        p.put("router.auth.protect-metrics", "true");
        p.put("router.auth.protect-files", "true");
        withRouter(p, run -> {
            assertEquals(401, run.api().get("/prometheus").status());
            assertEquals(401, run.api().get("/prometheus", "Authorization", "Bearer wrong-key-00000000000000").status());
            assertEquals(200, run.api().get("/prometheus", "Authorization", "Bearer scraper-key-000000000001").status());
            assertEquals(200, run.api().get("/prometheus", "Authorization", "Bearer modes-admin-key-00000000001").status());
            String file = "/v1/images/files/" + "0".repeat(64) + ".png";
            assertEquals(401, run.api().get(file).status());
            assertEquals(404, run.api().get(file, "Authorization", "Bearer scraper-key-000000000001").status());
            assertEquals(200, run.api().get("/health").status());
        });
    }

    @Test
    void outsideSandbox_withoutClientOrAdminKeys_everyClientAndAdminRequestIsRefused() {
        // provider keys must exist outside sandbox; these point nowhere and are never reached
        Map<String, Object> p = RouterTestSupport.liveWithUnreachableProviders();
        withRouter(p, run -> {
            assertTrue(run.startupLines().stream().anyMatch(l -> l.startsWith("ERROR") && l.contains("no client keys configured")),
                    run.startupLines().toString());
            for (String auth : new String[]{null, "Bearer anything-at-all-1234567890"}) {
                ApiClient.Response gen = auth == null ? run.api().generate("{\"prompt\":\"x\"}")
                        : run.api().generate("{\"prompt\":\"x\"}", "Authorization", auth);
                assertEquals(401, gen.status(), gen.text());
                assertEquals("invalid_api_key", gen.error().get("code"));
                ApiClient.Response admin = auth == null ? run.api().get("/admin/config") : run.api().get("/admin/config", "Authorization", auth);
                assertEquals(401, admin.status(), admin.text());
            }
            assertEquals(200, run.api().get("/health").status());
            // the emulators are off outside sandbox mode
            assertEquals(404, run.api().get("/sandbox/openai/v1/models/gpt-image-2").status());
        });
    }
}
