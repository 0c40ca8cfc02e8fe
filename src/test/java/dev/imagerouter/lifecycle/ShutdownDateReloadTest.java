package dev.imagerouter.lifecycle;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The shutdown-date series follows reloads: with the shipped files the disabled gpt-image-1 file
 * exports 2026-10-23; a changed date is exported as changed, and a file whose date is removed
 * loses its series.
 */
class ShutdownDateReloadTest {

    private static final String METRIC = "image_router_model_shutdown_timestamp_seconds";
    private static final String RETIRED = "openai-gpt-image-1";

    private TestConfigDir dir;
    private EmbeddedServer server;
    private ApiClient api;
    private ModelShutdowns shutdowns;

    @BeforeEach
    void start() {
        dir = TestConfigDir.copyOfRepository();
        Map<String, Object> props = new HashMap<>(RouterTestSupport.fastSandbox());
        props.put("router.config-dir", dir.configDir().toString());
        props.put("router.reload.watch", "false");
        server = ApplicationContext.run(EmbeddedServer.class, props);
        api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
        shutdowns = server.getApplicationContext().getBean(ModelShutdowns.class);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void shippedRetiredFileIsExported_aChangedDateFollows_aRemovedDateRemovesTheSeries() {
        shutdowns.tick();
        assertEquals(seconds("2026-10-23"), sample(), 0.0);

        dir.replace(dir.providerFile(RETIRED), "shutdown-date: 2026-10-23", "shutdown-date: 2026-10-24");
        reload();
        assertEquals(seconds("2026-10-24"), sample(), 0.0);

        dir.replace(dir.providerFile(RETIRED), "shutdown-date: 2026-10-24\n", "");
        reload();
        assertThrows(AssertionError.class, this::sample, "no sample left for " + RETIRED);
    }

    private void reload() {
        ApiClient.Response r = api.post("/admin/reload", "application/json", new byte[0]);
        assertEquals(200, r.status(), r.text());
        shutdowns.tick();
    }

    private double sample() {
        return api.prometheusSample(METRIC, "provider", RETIRED, "model", "gpt-image-1");
    }

    private static double seconds(String date) {
        return LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }
}
