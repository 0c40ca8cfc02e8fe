package dev.imagerouter.api;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request line and the request's log context (api.RequestLog, vocabulary.LogContext), in the text
 * format: every request to the generation and jobs endpoints ends with exactly one INFO line with its
 * id and key=value fields, and the lines logged for it on other threads (the provider's failure on an
 * HTTP client or scheduler thread, an asynchronous job's walk later) carry its request id in the MDC.
 */
@MicronautTest
class RequestLogHttpTest extends SandboxHttpTest {

    private static final String REQUEST_LOG = RequestLog.class.getName();
    private static final String ROUTER = "dev.imagerouter.routing.Router";

    @Test
    void aFallback_logsTheProviderFailureOnAnotherThread_andOneRequestLine_withTheRequestId() {
        try (LogCapture logs = new LogCapture()) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("request line") + "\"}",
                    "X-Sandbox-Fault", "leonardo=500");
            assertEquals(200, r.status(), r.text());
            String id = r.header("X-Request-Id");
            assertNotNull(id);

            ILoggingEvent line = requestLine(logs, id);
            String text = line.getFormattedMessage();
            assertTrue(text.startsWith("request method=POST path=\"/v1/images/generations\" request_id=" + id
                    + " client=anonymous provider=openai-gpt-image-2 cache=miss outcome=success status=200 duration_ms="), text);
            assertEquals("INFO", line.getLevel().toString());
            Map<String, String> mdc = line.getMDCPropertyMap();
            assertEquals(id, mdc.get("request_id"));
            assertEquals("anonymous", mdc.get("client"));
            assertEquals("openai-gpt-image-2", mdc.get("provider"));
            assertEquals("success", mdc.get("outcome"));
            assertEquals("200", mdc.get("status"));
            assertTrue(mdc.get("request_hash").matches("[0-9a-f]{64}"), mdc.toString());
            // the shipped text pattern shows the request id after the logger
            assertTrue(render(line).contains(" [" + id + "] - request method=POST"), render(line));

            List<ILoggingEvent> failures = logs.events().stream()
                    .filter(e -> e.getLoggerName().equals(ROUTER) && e.getFormattedMessage().contains("request_id=" + id)).toList();
            assertFalse(failures.isEmpty(), "no provider failure line: " + logs.lines());
            for (ILoggingEvent failure : failures) {
                Map<String, String> f = failure.getMDCPropertyMap();
                assertEquals(id, f.get("request_id"), failure.getFormattedMessage());
                assertEquals("anonymous", f.get("client"));
                assertEquals("leonardo-phoenix", f.get("provider"));
                assertEquals("SERVER_ERROR", f.get("failure_kind"));
                assertEquals(mdc.get("request_hash"), f.get("request_hash"));
                assertTrue(render(failure).contains(" [" + id + "] - provider=leonardo-phoenix"), render(failure));
            }
            Set<String> threads = logs.events().stream().filter(e -> id.equals(e.getMDCPropertyMap().get("request_id")))
                    .map(ILoggingEvent::getThreadName).collect(Collectors.toSet());
            assertTrue(threads.size() >= 2, "the request's lines come from one thread only: " + threads);
            // no line of another request (or of none) claims this id
            assertTrue(logs.events().stream().filter(e -> e.getFormattedMessage().contains(id))
                    .allMatch(e -> id.equals(e.getMDCPropertyMap().get("request_id"))), logs.lines().toString());
        }
    }

    @Test
    void refusalsAndJobsEndpoints_endWithOneRequestLine() {
        try (LogCapture logs = new LogCapture()) {
            ApiClient.Response bad = api.generate("{\"prompt\":\"\"}");
            assertEquals(400, bad.status(), bad.text());
            String text = requestLine(logs, bad.header("X-Request-Id")).getFormattedMessage();
            assertTrue(text.contains(" client=anonymous provider=none cache=none outcome=invalid_request status=400 duration_ms="),
                    text);

            ApiClient.Response missing = api.get("/v1/images/jobs/job_000000000000000000000000");
            assertEquals(404, missing.status(), missing.text());
            String id = missing.header("X-Request-Id");
            assertNotNull(id, "a jobs endpoint answers with its request id: " + missing.headers());
            text = requestLine(logs, id).getFormattedMessage();
            assertTrue(text.startsWith("request method=GET path=\"/v1/images/jobs/job_000000000000000000000000\" request_id="
                    + id + " client=anonymous provider=none cache=none outcome=invalid_request status=404"), text);
        }
    }

    @Test
    void anAsynchronousJob_logsItsProviderFailureLater_withItsRequestIdAndJobId() {
        try (LogCapture logs = new LogCapture()) {
            ApiClient.Response accepted = api.generate("{\"prompt\":\"" + prompt("request line job") + "\"}",
                    "X-Sandbox-Fault", "leonardo=500", "Prefer", "respond-async");
            assertEquals(202, accepted.status(), accepted.text());
            String id = accepted.header("X-Request-Id");
            String job = (String) accepted.json().get("id");
            String text = requestLine(logs, id).getFormattedMessage();
            assertTrue(text.contains(" request_id=" + id + " client=anonymous provider=none cache=none outcome=accepted status=202"),
                    text);

            await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(api.get("/v1/images/jobs/" + job).json().get("status")));
            List<ILoggingEvent> failures = logs.events().stream()
                    .filter(e -> e.getLoggerName().equals(ROUTER) && e.getFormattedMessage().contains("request_id=" + id)).toList();
            assertFalse(failures.isEmpty(), "no provider failure line: " + logs.lines());
            for (ILoggingEvent failure : failures) {
                Map<String, String> f = failure.getMDCPropertyMap();
                assertEquals(id, f.get("request_id"), f.toString());
                assertEquals(job, f.get("job_id"), f.toString());
                assertEquals("leonardo-phoenix", f.get("provider"));
                assertEquals(accepted.json().get("request_hash"), f.get("request_hash"));
            }
        }
    }

    @Test
    void aStreamedGeneration_isLoggedOnceWhenItsLastEventIsSent() {
        try (LogCapture logs = new LogCapture()) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("request line stream") + "\",\"stream\":true,"
                    + "\"partial_images\":2}", "X-Sandbox-Fault", "leonardo=500");
            assertEquals(200, r.status(), r.text());
            assertTrue(r.text().contains("image_generation.completed"), r.text());
            String text = requestLine(logs, r.header("X-Request-Id")).getFormattedMessage();
            assertTrue(text.contains(" provider=openai-gpt-image-2 cache=miss outcome=success status=200 duration_ms="), text);
        }
    }

    /** The one request line of {@code id}: waits for it, then checks there is exactly one. */
    private static ILoggingEvent requestLine(LogCapture logs, String id) {
        await().atMost(Duration.ofSeconds(10)).until(() -> !requestLines(logs, id).isEmpty());
        List<ILoggingEvent> lines = requestLines(logs, id);
        assertEquals(1, lines.size(), lines.toString());
        return lines.get(0);
    }

    private static List<ILoggingEvent> requestLines(LogCapture logs, String id) {
        return logs.events().stream().filter(e -> e.getLoggerName().equals(REQUEST_LOG))
                .filter(e -> e.getFormattedMessage().contains(" request_id=" + id + " ")).toList();
    }

    /** The event as the shipped text appender writes it (its pattern, read from logback-text.xml). */
    static String render(ILoggingEvent event) {
        PatternLayout layout = new PatternLayout();
        layout.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        layout.setPattern(shippedTextPattern());
        layout.start();
        return layout.doLayout(event);
    }

    static String shippedTextPattern() {
        try (InputStream in = RequestLogHttpTest.class.getResourceAsStream("/logback-text.xml")) {
            String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("<pattern>(.*)</pattern>").matcher(xml);
            assertTrue(m.find(), xml);
            return m.group(1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
