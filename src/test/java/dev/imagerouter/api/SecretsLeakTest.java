package dev.imagerouter.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import dev.imagerouter.sandbox.SandboxKeys;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #7 acceptance, secrets: one router run that exercises every provider, failure, error and
 * admin path, with the router's own loggers at TRACE and the Micronaut HTTP client's request logging
 * at TRACE, captures all log output (logback from before startup, plus java.util.logging), every
 * answer (headers and body) and every span (names, attributes, events, statuses), then looks for the
 * provider keys, the client, admin and webhook keys, and {@code Bearer } in them. None may appear.
 */
class SecretsLeakTest {

    static final String CLIENT_KEY = "leak-client-key-7f3a91c2e8d4";
    static final String GREEDY_KEY = "leak-greedy-key-0b5e6d7c8a9f";
    static final String ADMIN_KEY = "leak-admin-key-3e2d1c0b9a87";
    static final String WEBHOOK_KEY = "leak-webhook-key-5a4b3c2d1e0f";
    static final List<String> SECRETS = List.of(SandboxKeys.LEONARDO_API_KEY, SandboxKeys.OPENAI_API_KEY, CLIENT_KEY, GREEDY_KEY,
            ADMIN_KEY, WEBHOOK_KEY);

    /** Every provider fault the emulators know, alone or against both providers. */
    static final List<String> FAULTS = List.of("", "leonardo=429", "leonardo=500", "leonardo=503", "leonardo=auth", "leonardo=quota",
            "leonardo=failed", "leonardo=malformed", "leonardo=reset", "leonardo=timeout", "leonardo=moderation",
            "leonardo=429,openai=auth", "leonardo=429,openai=500", "leonardo=429,openai=insufficient_quota",
            "leonardo=429,openai=moderation_blocked", "leonardo=429,openai=model_not_found", "leonardo=429,openai=malformed",
            "leonardo=429,openai=429", "leonardo=429,openai=reset", "leonardo=failed,openai=auth");

    private final List<String> answers = new ArrayList<>();

    @Test
    void noKeyAppearsInLogsAnswersAdminOutputOrMetrics_acrossEveryPath() throws Exception {
        Map<String, Object> properties = new HashMap<>(RouterTestSupport.fastSandbox());
        properties.put("router.auth.api-keys", "pipeline:" + CLIENT_KEY + ",greedy:" + GREEDY_KEY);
        properties.put("router.auth.admin-key", ADMIN_KEY);
        properties.put("router.auth.protect-metrics", "true");
        properties.put("router.auth.limits.images-per-day", "8");
        properties.put("router.webhooks.leonardo-key", WEBHOOK_KEY);
        properties.put("router.sandbox.webhook.enabled", "true");
        properties.put("router.providers.leonardo-phoenix.webhook.enabled", "true");
        properties.put("router.providers.leonardo-phoenix.webhook.poll-initial-delay", "300ms");
        properties.put("router.providers.leonardo-phoenix.timeout", "1500ms");
        properties.put("router.policy.SERVER_ERROR.backoff", "50ms");
        properties.put("router.policy.NETWORK.backoff", "50ms");
        dev.imagerouter.testing.InMemorySpans.enable(properties);

        List<String> jul = new CopyOnWriteArrayList<>();
        Handler julHandler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                jul.add(record.getLevel() + " " + record.getLoggerName() + " " + record.getMessage()
                        + (record.getThrown() == null ? "" : " " + record.getThrown()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
        julRoot.addHandler(julHandler);
        Map<String, Level> saved = raise(Map.of("dev.imagerouter", Level.TRACE, "io.micronaut.http.client", Level.TRACE));
        List<String> lines;
        List<String> spans;
        LogCapture logs = new LogCapture();
        try {
            try (ApplicationContext context = ApplicationContext.run(properties, "test")) {
                EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
                exercise(new ApiClient(server.getURL().toString(), context.getBean(JsonMapper.class)));
                spans = context.getBean(io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.class).getFinishedSpanItems()
                        .stream().map(Object::toString).toList(); // SpanData's text: name, attributes, events, status, resource
            }
            lines = render(logs.events()); // shutdown included
        } finally {
            logs.close();
            julRoot.removeHandler(julHandler);
            restore(saved);
        }
        lines = new ArrayList<>(lines);
        lines.addAll(jul);

        // the run really logged: startup, provider failures, and the HTTP client's header trace
        assertTrue(lines.stream().anyMatch(l -> l.contains("client auth on")), "startup lines captured");
        assertTrue(lines.stream().anyMatch(l -> l.contains("failure_kind=AUTH_FAILED")), "provider failures logged");
        assertTrue(lines.stream().anyMatch(l -> l.contains("RequestLog - request ") && l.contains("outcome=unauthorized")),
                "request lines (refusals too) logged");
        assertTrue(lines.stream().anyMatch(l -> l.contains("*MASKED*")), "the HTTP client traced headers, masked");
        assertTrue(spans.stream().anyMatch(s -> s.contains("router.failure_kind=AUTH_FAILED")), "provider attempts traced");
        for (String secret : SECRETS) {
            assertEquals(List.of(), lines.stream().filter(l -> l.contains(secret)).toList(), "a key in the logs");
            assertEquals(List.of(), answers.stream().filter(a -> a.contains(secret)).toList(), "a key in an answer");
            assertEquals(List.of(), spans.stream().filter(l -> l.contains(secret)).toList(), "a key in a span");
        }
        assertEquals(List.of(), lines.stream().filter(l -> l.contains("Bearer ")).toList(), "an Authorization header in the logs");
        assertEquals(List.of(), spans.stream().filter(l -> l.contains("Bearer ")).toList(), "an Authorization header in a span");
    }

    /** Every path: providers and their failures, webhooks, validation, auth, limits, files, admin, metrics. */
    private void exercise(ApiClient api) {
        String pipeline = "Bearer " + CLIENT_KEY;
        for (String fault : FAULTS) {
            String body = "{\"prompt\":\"a lantern " + UUID.randomUUID() + "\",\"size\":\"512x512\"}";
            ApiClient.Response r = fault.isEmpty() ? api.generate(body, "Authorization", pipeline)
                    : api.generate(body, "Authorization", pipeline, "X-Sandbox-Fault", fault);
            record(r);
            assertTrue(r.status() < 500 || r.status() == 502 || r.status() == 503, fault + " → " + r.status() + " " + r.text());
            if (r.status() == 200 && r.data().get(0).get("url") != null) {
                record(api.get((String) r.data().get(0).get("url")));
            }
        }
        // the same request again: a cache hit; b64 answer
        String body = "{\"prompt\":\"a lantern again\",\"size\":\"256x256\",\"response_format\":\"b64_json\"}";
        record(api.generate(body, "Authorization", pipeline));
        record(api.generate(body, "Authorization", pipeline));
        // validation errors, content type, size, method, unknown path
        for (String bad : List.of("{}", "{\"prompt\":\"x\",\"n\":9}", "{\"prompt\":\"x\",\"bogus\":1}", "not json")) {
            record(api.generate(bad, "Authorization", pipeline));
        }
        record(api.post("/v1/images/generations", "text/plain", "x".getBytes(StandardCharsets.UTF_8), "Authorization", pipeline));
        record(api.post("/v1/images/generations", "application/json", new byte[1_200_000], "Authorization", pipeline));
        record(api.get("/v1/images/generations", "Authorization", pipeline));
        record(api.get("/v1/nothing", "Authorization", pipeline));
        record(api.generate("{\"prompt\":\"x\"}", "Authorization", pipeline, "X-Sandbox-Fault", "leonardo=nonsense"));
        // authentication: none, wrong, near misses, the admin key on a client endpoint
        record(api.generate("{\"prompt\":\"x\"}"));
        record(api.generate("{\"prompt\":\"x\"}", "Authorization", "Bearer " + CLIENT_KEY + "0"));
        record(api.generate("{\"prompt\":\"x\"}", "Authorization", "Bearer " + ADMIN_KEY));
        record(api.generate("{\"prompt\":\"x\"}", "Authorization", "Basic " + CLIENT_KEY));
        // per-client daily limit → 429
        for (int i = 0; i < 3; i++) {
            record(api.generate("{\"prompt\":\"greedy " + UUID.randomUUID() + "\",\"size\":\"256x256\",\"n\":4}",
                    "Authorization", "Bearer " + GREEDY_KEY, "X-Sandbox-Fault", "leonardo=429"));
        }
        // webhooks: forged, malformed, unknown generation
        record(api.post("/v1/webhooks/leonardo", "application/json", "{}".getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer x"));
        record(api.post("/v1/webhooks/leonardo", "application/json", "{}".getBytes(StandardCharsets.UTF_8), "Authorization", pipeline));
        record(api.post("/v1/webhooks/leonardo", "application/json", "[]".getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer " + WEBHOOK_KEY));
        record(api.post("/v1/webhooks/leonardo", "application/json", ("{\"data\":{\"object\":{\"id\":\"" + UUID.randomUUID()
                + "\",\"status\":\"COMPLETE\",\"images\":[]}}}").getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer " + WEBHOOK_KEY));
        // admin: refused with a client key, open with the admin key; the config view masks every key
        for (String path : List.of("/admin/config", "/admin/chain")) {
            record(api.get(path, "Authorization", pipeline));
            ApiClient.Response admin = api.get(path, "Authorization", "Bearer " + ADMIN_KEY);
            assertEquals(200, admin.status(), path);
            record(admin);
        }
        ApiClient.Response reload = api.post("/admin/reload", "application/json", new byte[0], "Authorization", "Bearer " + ADMIN_KEY);
        assertEquals(200, reload.status(), reload.text());
        record(reload);
        // metrics (protected here) and health
        record(api.get("/prometheus"));
        ApiClient.Response metrics = api.get("/prometheus", "Authorization", pipeline);
        assertEquals(200, metrics.status());
        record(metrics);
        record(api.get("/health"));
    }

    private void record(ApiClient.Response r) {
        answers.add(r.status() + " " + r.headers() + " " + new String(r.body(), StandardCharsets.ISO_8859_1));
    }

    /** Each event as {@code LEVEL logger - message}, its MDC (in the JSON format's output), then its exception chain's messages. */
    private static List<String> render(List<ILoggingEvent> events) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : events) {
            StringBuilder sb = new StringBuilder(e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
                    + " " + e.getMDCPropertyMap());
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                sb.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static Map<String, Level> raise(Map<String, Level> levels) {
        Map<String, Level> saved = new HashMap<>();
        levels.forEach((name, level) -> {
            ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name);
            saved.put(name, logger.getLevel());
            logger.setLevel(level);
        });
        return saved;
    }

    private static void restore(Map<String, Level> saved) {
        saved.forEach((name, level) -> ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(level));
    }
}
