package dev.imagerouter.bench;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.sandbox.SandboxSettings;
import dev.imagerouter.sandbox.SandboxState;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmarks' stack floor (bench/floor.sh) turned on: a bare relay of one generation through the SDK. */
@MicronautTest
class StackFloorOnTest extends SandboxHttpTest {

    @Inject
    SandboxState state;

    @org.junit.jupiter.api.AfterAll
    void clearProperty() {
        System.clearProperty(StackFloorController.ENABLED);
    }

    @Override
    protected void properties(Map<String, String> p) {
        // a JVM system property, set before the application starts; cleared after the class
        System.setProperty(StackFloorController.ENABLED, "true");
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

    @Test
    void anUpstreamFailure_isA502InTheOpenAiErrorShape() {
        SandboxSettings before = state.settings();
        state.configure(true, before.toBuilder().faults("openai=500").build()); // a standing fault: every call fails
        ApiClient.Response r;
        try {
            r = post(api);
        } finally {
            state.configure(true, before);
        }

        assertEquals(502, r.status(), r.text());
        assertEquals("upstream_failed", r.error().get("code"), r.text());
        assertTrue(r.error().containsKey("param") && r.error().containsKey("type"), r.text());
    }
}
