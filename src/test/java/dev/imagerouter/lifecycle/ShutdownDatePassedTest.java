package dev.imagerouter.lifecycle;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.MutableClock;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.annotation.MockBean;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A provider file in the chain whose {@code shutdown-date} has passed: the router skips it without a
 * call (trail reason MODEL_UNAVAILABLE) and the next provider serves. The models API announces a
 * later day, so the file's earlier date wins.
 */
@MicronautTest
class ShutdownDatePassedTest extends SandboxHttpTest {

    static final String OPENAI = "openai-gpt-image-2";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T12:00:00Z"));

    @Inject
    ModelShutdowns shutdowns;

    @MockBean(Clock.class)
    Clock clock() {
        return clock;
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", OPENAI + ",leonardo-phoenix");
        p.put("router.providers.openai-gpt-image-2.shutdown-date", "2026-11-30");
        p.put("router.sandbox.openai-shutdown-dates", "gpt-image-2=2027-03-01");
    }

    @Test
    void pastShutdownDateInTheFile_providerSkippedWithoutACall_nextProviderServes() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("past shutdown") + "\"}");

        assertEquals(200, r.status(), r.text());
        assertEquals("leonardo-phoenix", r.router().get("provider"));
        Map<String, Object> skipped = r.attempts().get(0);
        assertEquals(OPENAI, skipped.get("provider"));
        assertEquals("skipped", skipped.get("outcome"));
        assertEquals("MODEL_UNAVAILABLE", skipped.get("reason"));
        assertEquals(0, stats.openAiGenerates());
        shutdowns.tick();
        assertEquals(LocalDate.parse("2026-11-30").atStartOfDay(ZoneOffset.UTC).toEpochSecond(),
                api.prometheusSample("image_router_model_shutdown_timestamp_seconds", "provider", OPENAI, "model", "gpt-image-2"), 0.0);
    }
}
