package dev.imagerouter.bench;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmarks' stack floor (bench/floor.sh) turned on: a bare relay of one generation through the SDK. */
@MicronautTest
class StackFloorOnTest extends SandboxHttpTest {

    @Override
    protected void properties(Map<String, String> p) {
        p.put(StackFloorController.ENABLED, "true");
    }

    static ApiClient.Response post(ApiClient api, String... headers) {
        return api.post("/bench/stack-floor", "application/json", "{}".getBytes(StandardCharsets.UTF_8), headers);
    }

    @Test
    void sendsOneGenerationThroughTheSdk_andAnswersWithTheUpstreamStatusAndLength() {
        ApiClient.Response r = post(api);

        assertEquals(200, r.status(), r.text());
        assertEquals(200, ((Number) r.json().get("status")).intValue(), r.text());
        assertTrue(((Number) r.json().get("bytes")).intValue() > 100, r.text());
        assertEquals(1, stats.openAiGenerates());
        assertEquals(0, stats.leonardoCreates());
    }
}
