package dev.imagerouter.api;

import dev.imagerouter.sandbox.SandboxImages;
import dev.imagerouter.sandbox.SandboxState;
import dev.imagerouter.sandbox.SandboxStats;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live mode has no emulator; no benchmark route exists at all: {@code /sandbox/**} and {@code /bench/**} have
 * no bean behind them, answer 404 and allocate nothing; the mode is fixed at startup.
 */
class ProductionBoundaryTest {

    /** A live router whose providers point nowhere (never reached here). */
    private static Map<String, Object> live() {
        Map<String, Object> p = RouterTestSupport.liveWithUnreachableProviders();
        // what ROUTER_BENCH_STACK_FLOOR=true would become: a Micronaut property; no benchmark route exists in main
        p.put("router.bench.stack-floor", "true");
        return p;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String randomHex(int length) {
        StringBuilder s = new StringBuilder(length);
        while (s.length() < length) {
            s.append(Long.toHexString(ThreadLocalRandom.current().nextLong()));
        }
        return s.substring(0, length);
    }

    @Test
    void liveMode_hasNoEmulatorOrBenchBean_andTenThousandSandboxPathsAre404sThatAllocateNothing() throws Exception {
        try (ApplicationContext context = ApplicationContext.run(live(), "test")) {
            EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
            ApiClient api = new ApiClient(server.getURL().toString(), context.getBean(JsonMapper.class));

            assertFalse(context.containsBean(SandboxStats.class), "no emulator statistics in live mode");
            assertFalse(context.containsBean(SandboxState.class));
            assertFalse(context.containsBean(SandboxImages.class));

            for (String path : new String[]{"/sandbox/stats", "/sandbox/leonardo/api/rest/v1/me",
                    "/sandbox/leonardo/api/rest/v1/generations/" + randomHex(3000), "/sandbox/openai/v1/models/gpt-image-2"}) {
                int status = api.get(path).status();
                assertTrue(status == 404 || status == 401, path.substring(0, Math.min(60, path.length())) + " → " + status);
            }
            int floor = api.post("/bench/stack-floor", "application/json", "{}".getBytes()).status();
            assertTrue(floor == 404 || floor == 401, "/bench/stack-floor → " + floor);
            assertTrue(api.get("/health").text().contains("\"mode\":\"live\""), api.get("/health").text());
            assertEquals(0, api.prometheusSample("image_router_sandbox_mode"));

            HttpClient http = HttpClient.newHttpClient();
            String base = server.getURL().toString();
            // warm the 404 path, then measure
            for (int i = 0; i < 500; i++) {
                http.send(HttpRequest.newBuilder(URI.create(base + "/sandbox/leonardo/api/rest/v1/generations/" + randomHex(64)))
                        .build(), HttpResponse.BodyHandlers.discarding());
            }
            long before = usedHeapAfterGc();
            for (int i = 0; i < 10_000; i++) {
                String path = switch (i % 3) {
                    case 0 -> "/sandbox/leonardo/api/rest/v1/generations/" + randomHex(2500);
                    case 1 -> "/sandbox/openai/v1/" + randomHex(200);
                    default -> "/sandbox/" + UUID.randomUUID();
                };
                int status = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                assertTrue(status == 404 || status == 401, path + " → " + status);
            }
            long grown = usedHeapAfterGc() - before;
            // remembering each poll id (2.5 KB for a third of them) would keep over 8 MB
            assertTrue(grown < 4 * 1024 * 1024, "heap grew by " + grown + " bytes over 10,000 sandbox paths");
        }
    }

    @Test
    void aReloadThatWouldChangeTheMode_isRejected() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        Map<String, Object> p = new HashMap<>(RouterTestSupport.fastSandbox());
        p.remove("router.sandbox.mode"); // auto: no provider key is set in this JVM's environment → sandbox
        p.put("router.config-dir", dir.configDir().toString());
        p.put("router.reload.watch", "false");
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, p)) {
            ApiClient api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
            assertTrue(api.get("/health").text().contains("\"mode\":\"sandbox\""), api.get("/health").text());
            // the chain's providers now name variables that are set: auto would choose live mode
            dir.replace(dir.providerFile("leonardo-phoenix"), "api-key-env: LEONARDO_API_KEY", "api-key-env: PATH");
            dir.replace(dir.providerFile("openai-gpt-image-2"), "api-key-env: OPENAI_API_KEY", "api-key-env: PATH");

            ApiClient.Response r = api.post("/admin/reload", "application/json", new byte[0]);

            assertEquals(422, r.status(), r.text());
            assertTrue(r.text().contains("fixed at startup"), r.text());
            assertTrue(api.get("/health").text().contains("\"mode\":\"sandbox\""), "still the startup mode");
            assertEquals(200, api.get("/sandbox/stats").status(), "the emulators still serve");
        }
    }
}
