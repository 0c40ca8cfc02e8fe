package dev.imagerouter.tracing;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.InMemorySpans;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trace of one sandboxed request whose first provider fails (README "Tracing"): the request's
 * server span; under it each provider attempt (Leonardo's 500 and its one retry, then OpenAI's
 * success) and the image write; the providers' side (here the emulators' own server spans) joined
 * to the attempt that called it through the traceparent header. Spans go to an in-memory exporter.
 */
@MicronautTest
class TracingHttpTest extends SandboxHttpTest {

    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey(Tracing.ATTR_PROVIDER);
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey(Tracing.ATTR_OUTCOME);
    static final AttributeKey<String> FAILURE_KIND = AttributeKey.stringKey(Tracing.ATTR_FAILURE_KIND);
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey(Tracing.ATTR_HTTP_STATUS);
    static final AttributeKey<Long> BYTES = AttributeKey.longKey(Tracing.ATTR_STORAGE_BYTES);
    static final AttributeKey<String> EXTENSION = AttributeKey.stringKey(Tracing.ATTR_STORAGE_EXTENSION);

    @Inject
    InMemorySpanExporter exporter;

    @Override
    protected void properties(Map<String, String> p) {
        InMemorySpans.enable(p);
    }

    @Test
    void aFallbackIsOneTrace_requestSpan_attemptSpans_storageWrite_andTheProvidersSideUnderEachAttempt() {
        exporter.reset();
        String prompt = prompt("a traced lighthouse");
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt + "\",\"size\":\"512x512\"}",
                "X-Sandbox-Fault", "leonardo=500");
        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));

        SpanData request = await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan("/v1/images/generations"),
                Optional::isPresent).get();
        String trace = request.getTraceId();
        assertEquals("POST /v1/images/generations", request.getName());
        List<SpanData> spans = exporter.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(trace)).toList();

        // the provider attempts, children of the request's span, in the order they ran
        List<SpanData> attempts = spans.stream().filter(s -> s.getName().equals(Tracing.ATTEMPT_SPAN))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        assertEquals(List.of("leonardo-phoenix failure SERVER_ERROR 500", "leonardo-phoenix failure SERVER_ERROR 500",
                "openai-gpt-image-2 success null null"), attempts.stream().map(TracingHttpTest::describe).toList());
        for (SpanData attempt : attempts) {
            assertEquals(request.getSpanId(), attempt.getParentSpanId(), "an attempt is a child of the request's span");
            assertEquals(SpanKind.INTERNAL, attempt.getKind());
            assertTrue(attempt.getEndEpochNanos() <= request.getEndEpochNanos(), "the attempt ended before the answer");
        }
        assertEquals(StatusCode.ERROR, attempts.get(0).getStatus().getStatusCode());
        assertEquals(StatusCode.UNSET, attempts.get(2).getStatus().getStatusCode());

        // the image write, a child of the request's span
        List<SpanData> writes = spans.stream().filter(s -> s.getName().equals(Tracing.STORAGE_WRITE_SPAN)).toList();
        assertEquals(1, writes.size(), () -> "one image written: " + names(spans));
        SpanData write = writes.get(0);
        assertEquals(request.getSpanId(), write.getParentSpanId());
        assertEquals("png", write.getAttributes().get(EXTENSION));
        assertTrue(write.getAttributes().get(BYTES) > 0);
        assertTrue(write.getStartEpochNanos() >= attempts.get(2).getStartEpochNanos(), "stored after OpenAI answered");

        // the providers' side: each call carried its attempt's context (traceparent), so the emulators'
        // server spans are children of the attempt that called them
        List<SpanData> leonardoCreates = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER
                && s.getName().startsWith("POST /sandbox/leonardo")).sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        assertEquals(2, leonardoCreates.size(), () -> names(spans).toString());
        assertEquals(attempts.get(0).getSpanId(), leonardoCreates.get(0).getParentSpanId());
        assertEquals(attempts.get(1).getSpanId(), leonardoCreates.get(1).getParentSpanId());
        List<SpanData> openAiCalls = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER
                && s.getName().startsWith("POST /sandbox/openai")).toList();
        assertEquals(1, openAiCalls.size(), () -> names(spans).toString());
        assertEquals(attempts.get(2).getSpanId(), openAiCalls.get(0).getParentSpanId());

        // nothing of the request's text in any span of the trace
        for (SpanData span : spans) {
            span.getAttributes().forEach((k, v) -> assertFalse(String.valueOf(v).contains(prompt),
                    span.getName() + " carries the prompt in " + k));
        }
    }

    @Test
    void everyPollOfALeonardoJobCarriesItsAttempt() {
        exporter.reset();
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("a traced job") + "\",\"size\":\"512x512\"}");
        assertEquals(200, r.status(), r.text());
        assertEquals("leonardo-phoenix", r.router().get("provider"));
        SpanData request = await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan("/v1/images/generations"),
                Optional::isPresent).get();
        List<SpanData> spans = exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getTraceId().equals(request.getTraceId())).toList();
        List<SpanData> attempts = spans.stream().filter(s -> s.getName().equals(Tracing.ATTEMPT_SPAN)).toList();
        assertEquals(List.of("leonardo-phoenix success null null"), attempts.stream().map(TracingHttpTest::describe).toList());
        List<SpanData> calls = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER
                && s.getName().contains("/sandbox/leonardo/api/rest/v1/generations")).toList();
        assertTrue(calls.stream().anyMatch(s -> s.getName().startsWith("GET ")), () -> "polled: " + names(spans));
        for (SpanData call : calls) {
            assertEquals(attempts.get(0).getSpanId(), call.getParentSpanId(), call.getName());
        }
    }

    @Test
    void anAsynchronousJobsAttemptsAndWriteHangUnderTheRequestThatCreatedIt() {
        exporter.reset();
        ApiClient.Response created = api.generate("{\"prompt\":\"" + prompt("a traced job") + "\",\"size\":\"512x512\"}",
                "Prefer", "respond-async", "X-Sandbox-Fault", "leonardo=500");
        assertEquals(202, created.status(), created.text());
        String location = created.header("Location");
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(api.get(location).json().get("status")));
        SpanData request = await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan("/v1/images/generations"),
                Optional::isPresent).get();
        await().atMost(Duration.ofSeconds(10)).until(() -> exporter.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getName().equals(Tracing.STORAGE_WRITE_SPAN) && s.getTraceId().equals(request.getTraceId())));
        List<SpanData> children = exporter.getFinishedSpanItems().stream()
                .filter(s -> request.getSpanId().equals(s.getParentSpanId())).toList();
        assertEquals(List.of("leonardo-phoenix failure SERVER_ERROR 500", "leonardo-phoenix failure SERVER_ERROR 500",
                        "openai-gpt-image-2 success null null"),
                children.stream().filter(s -> s.getName().equals(Tracing.ATTEMPT_SPAN))
                        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).map(TracingHttpTest::describe).toList());
        assertEquals(1, children.stream().filter(s -> s.getName().equals(Tracing.STORAGE_WRITE_SPAN)).count());
    }

    @Test
    void aCacheHitIsTheRequestSpanAlone() {
        String body = "{\"prompt\":\"" + prompt("a traced cache hit") + "\",\"size\":\"256x256\"}";
        assertEquals(200, api.generate(body).status());
        await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan("/v1/images/generations"), Optional::isPresent);
        exporter.reset();

        ApiClient.Response hit = api.generate(body);
        assertEquals("HIT", hit.header("X-Router-Cache"));
        SpanData request = await().atMost(Duration.ofSeconds(10)).until(() -> serverSpan("/v1/images/generations"),
                Optional::isPresent).get();
        List<String> inTrace = exporter.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(request.getTraceId()))
                .map(SpanData::getName).toList();
        assertEquals(List.of("POST /v1/images/generations"), inTrace);
    }

    private Optional<SpanData> serverSpan(String path) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == SpanKind.SERVER && s.getName().endsWith(" " + path)).findFirst();
    }

    private static String describe(SpanData attempt) {
        return attempt.getAttributes().get(PROVIDER) + " " + attempt.getAttributes().get(OUTCOME) + " "
                + attempt.getAttributes().get(FAILURE_KIND) + " " + attempt.getAttributes().get(HTTP_STATUS);
    }

    private static List<String> names(List<SpanData> spans) {
        return spans.stream().map(s -> s.getKind() + " " + s.getName() + " " + s.getSpanId() + "<-" + s.getParentSpanId()).toList();
    }
}
