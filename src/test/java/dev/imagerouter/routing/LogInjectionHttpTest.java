package dev.imagerouter.routing;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Log injection: a client prompt with line breaks must not forge log lines. The GENERATION_FAILED row
 * logs the prompt ({@code log-prompt: true}); the captured events are rendered with the shipped console
 * pattern and split at every line break a reader could honour.
 */
@MicronautTest
class LogInjectionHttpTest extends SandboxHttpTest {

    @Test
    void promptWithNewlines_isLoggedEscaped_andForgesNoLogLine() {
        String marker = UUID.randomUUID().toString();
        // JSON escapes: the prompt holds a real LF, CR LF, a U+2028 and an ANSI escape
        String jsonPrompt = "harbour " + marker + "\\nALERT forged-line provider=leonardo-phoenix\\r\\nALERT forged-line two"
                + "\\u2028ALERT forged-line three \\u001b[2J";
        try (LogCapture logs = new LogCapture()) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + jsonPrompt + "\"}", "X-Sandbox-Fault", "leonardo=failed");

            assertEquals(200, r.status(), r.text());
            assertEquals("GENERATION_FAILED", r.attempts().get(0).get("failure_kind"));
            List<String> rendered = render(logs.events());
            assertTrue(rendered.stream().anyMatch(l -> l.contains("prompt=\"harbour " + marker
                            + "\\nALERT forged-line provider=leonardo-phoenix\\r\\nALERT forged-line two"
                            + "\\u2028ALERT forged-line three \\u001b[2J\"")),
                    "no log line with the escaped prompt: " + rendered);
            List<String> physical = rendered.stream()
                    .flatMap(l -> Arrays.stream(l.split("\r\n|[\n\r\u000b\f\u0085\u2028\u2029]")))
                    .toList();
            assertTrue(physical.stream().noneMatch(l -> l.startsWith("ALERT forged-line")), "a forged line: " + physical);
            assertTrue(rendered.stream().noneMatch(l -> l.chars().anyMatch(c -> c < 0x20 && c != '\n')),
                    "a raw control character in a log line: " + rendered);
        }
    }

    /** The events as the shipped console appender writes them (pattern of logback.xml). */
    private static List<String> render(List<ILoggingEvent> events) {
        PatternLayout layout = new PatternLayout();
        layout.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        layout.setPattern("%-5level %logger{36} - %msg%n");
        layout.start();
        return events.stream().map(layout::doLayout).toList();
    }
}
