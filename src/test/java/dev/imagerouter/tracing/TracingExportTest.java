package dev.imagerouter.tracing;

import com.sun.net.httpserver.HttpServer;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Span export (README "Tracing"): without an OTLP endpoint no tracing at all (no OpenTelemetry, no
 * spans, nothing logged by OpenTelemetry), OTLP over HTTP as soon as an endpoint is configured, an
 * explicit {@code otel.traces.exporter=none} wins over an endpoint, and spans still queued at
 * shutdown go out. A local receiver stands in for the collector.
 */
class TracingExportTest {

    private HttpServer collector;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startCollector() throws IOException {
        collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                        + new String(body.readAllBytes(), StandardCharsets.ISO_8859_1));
            }
            contentTypes.add(String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
    }

    @AfterEach
    void stopCollector() {
        collector.stop(0);
    }

    @Test
    void byDefaultThereIsNoTracingAtAll_andOpenTelemetryLogsNothing() {
        List<String> lines;
        try (LogCapture logs = new LogCapture()) {
            try (ApplicationContext context = ApplicationContext.run(new HashMap<>(RouterTestSupport.fastSandbox()), "test")) {
                generate(context);
                assertTrue(context.findBean(OpenTelemetry.class).isEmpty(), "no SDK");
                assertSame(Tracing.NONE, context.getBean(Tracing.class));
            }
            lines = logs.lines();
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("tracing: off (set OTEL_EXPORTER_OTLP_ENDPOINT")), "the startup line");
        assertEquals(List.of(), lines.stream().filter(l -> l.contains("opentelemetry") && !l.startsWith("INFO")
                && !l.startsWith("DEBUG") && !l.startsWith("TRACE")).toList());
        assertEquals(List.of(), received);
    }

    @Test
    void anEndpointTurnsOtlpExportOn() {
        Map<String, Object> p = new HashMap<>(RouterTestSupport.fastSandbox());
        String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort();
        p.put("otel.exporter.otlp.endpoint", endpoint);
        p.put("otel.bsp.schedule.delay", "100");
        List<String> lines;
        try (LogCapture logs = new LogCapture()) {
            try (ApplicationContext context = ApplicationContext.run(p, "test")) {
                generate(context);
                assertTrue(tracerProvider(context).contains("BatchSpanProcessor"), tracerProvider(context));
                await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(b -> b.contains(Tracing.ATTEMPT_SPAN)));
            }
            lines = logs.lines();
        }
        assertTrue(received.stream().allMatch(b -> b.startsWith("POST /v1/traces ")), received.toString());
        assertTrue(contentTypes.stream().allMatch(t -> t.equals("application/x-protobuf")), contentTypes.toString());
        String all = String.join("\n", received);
        for (String expected : List.of("POST /v1/images/generations", Tracing.ATTEMPT_SPAN, Tracing.STORAGE_WRITE_SPAN,
                "image-router", Tracing.ATTR_PROVIDER)) {
            assertTrue(all.contains(expected), expected);
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("tracing: spans exported with otlp (http/protobuf) to " + endpoint)),
                "the startup line");
        assertEquals(List.of(), lines.stream().filter(l -> l.contains("opentelemetry") && (l.startsWith("WARN") || l.startsWith("ERROR")))
                .toList());
    }

    /** With a batch delay longer than the run, the spans go out only when the application stops. */
    @Test
    void spansStillQueuedAtShutdownAreExported() {
        Map<String, Object> p = new HashMap<>(RouterTestSupport.fastSandbox());
        p.put("otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.getAddress().getPort());
        p.put("otel.bsp.schedule.delay", "600000");
        try (ApplicationContext context = ApplicationContext.run(p, "test")) {
            generate(context);
            assertEquals(List.of(), received, "still queued");
        }
        assertTrue(received.stream().anyMatch(b -> b.contains(Tracing.ATTEMPT_SPAN)), received.toString());
    }

    @Test
    void anExplicitExporterChoiceWinsOverTheEndpoint() {
        Map<String, Object> p = new HashMap<>(RouterTestSupport.fastSandbox());
        p.put("otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.getAddress().getPort());
        p.put("otel.traces.exporter", "none");
        try (ApplicationContext context = ApplicationContext.run(p, "test")) {
            generate(context);
            assertTrue(context.findBean(OpenTelemetry.class).isPresent(), "tracing on: an endpoint is set");
            assertFalse(tracerProvider(context).contains("BatchSpanProcessor"), tracerProvider(context));
        }
        assertEquals(List.of(), received);
    }

    @Test
    void micronautOtelDisabledWinsOverTheEndpoint() {
        Map<String, Object> p = new HashMap<>(RouterTestSupport.fastSandbox());
        p.put("micronaut.otel.enabled", "false");
        p.put("otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.getAddress().getPort());
        try (ApplicationContext context = ApplicationContext.run(p, "test")) {
            generate(context);
            assertTrue(context.findBean(OpenTelemetry.class).isEmpty());
            assertSame(Tracing.NONE, context.getBean(Tracing.class));
        }
        assertEquals(List.of(), received);
    }

    private static void generate(ApplicationContext context) {
        EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
        ApiClient api = new ApiClient(server.getURL().toString(), context.getBean(JsonMapper.class));
        ApiClient.Response r = api.generate("{\"prompt\":\"an exported lighthouse " + UUID.randomUUID() + "\",\"size\":\"256x256\"}");
        assertEquals(200, r.status(), r.text());
    }

    private static String tracerProvider(ApplicationContext context) {
        return ((OpenTelemetrySdk) context.getBean(OpenTelemetry.class)).getSdkTracerProvider().toString();
    }
}
