package dev.imagerouter.tracing;

import dev.imagerouter.provider.TraceHeaders;
import dev.imagerouter.vocabulary.Attempt;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;

import java.util.HashMap;
import java.util.Map;

/*
 * The spans the router makes itself (Micronaut tracing makes each request's server span):
 *
 *   POST /v1/images/generations                      server span (Micronaut)
 *   ├── provider.attempt  router.provider=leonardo-phoenix router.outcome=failure
 *   │                     router.failure_kind=SERVER_ERROR router.http_status=500
 *   │   └── (the provider's side, joined through the traceparent header the call carried)
 *   ├── provider.attempt  … the retry, then the next provider: router.outcome=success
 *   └── storage.write     router.storage.bytes=… router.storage.extension=png
 *
 * Provider attempts run asynchronously (HTTP event loops, the scheduler, storage workers), where the
 * request's context is not current. So the parent is captured once where the walk starts
 * (TraceParent.current(), on the request's thread) and each attempt span is started with that parent
 * explicitly, when the attempt starts, and ended when it ends (ProviderCall knows both). While the
 * adapter starts its calls, the attempt is made current, so the trace headers it reads
 * (TraceHeaders) name the attempt as the parent of the provider's side. A skipped provider (circuit
 * open, budget, …) is a span of no length, so a trace shows why a provider was not called.
 *
 * Attributes are closed sets or sizes: provider instance names, outcomes, failure kinds, HTTP
 * statuses, the router's own skip reasons, byte counts and file extensions. Never a prompt, a key, a
 * request hash or a provider's error text.
 */
/**
 * Makes the router's spans through an {@link OpenTelemetry} (Micronaut tracing's bean in the service;
 * {@link #NONE} makes none) and gives adapters the headers of the current trace context. Thread-safe.
 */
public final class Tracing implements TraceHeaders {

    /** Name of a provider attempt's span. */
    public static final String ATTEMPT_SPAN = "provider.attempt";
    /** Name of an image write's span. */
    public static final String STORAGE_WRITE_SPAN = "storage.write";
    /** Instrumentation scope of the router's spans. */
    public static final String SCOPE = "dev.imagerouter";

    /** The provider instance, e.g. {@code leonardo-phoenix}. */
    public static final String ATTR_PROVIDER = "router.provider";
    /** {@code success}, {@code failure} or {@code skipped}. */
    public static final String ATTR_OUTCOME = "router.outcome";
    /** The failure kind of a failed or skipped attempt, e.g. {@code SERVER_ERROR}, {@code CIRCUIT_OPEN}. */
    public static final String ATTR_FAILURE_KIND = "router.failure_kind";
    /** The provider's HTTP status, when the failure had one. */
    public static final String ATTR_HTTP_STATUS = "router.http_status";
    /** Why a provider was skipped (the router's own reason, e.g. {@code BUDGET}). */
    public static final String ATTR_SKIP_REASON = "router.skip_reason";
    /** Size of the stored image in bytes. */
    public static final String ATTR_STORAGE_BYTES = "router.storage.bytes";
    /** {@code png}, {@code jpeg} or {@code webp}. */
    public static final String ATTR_STORAGE_EXTENSION = "router.storage.extension";
    /** True when the same bytes were already stored and nothing was written. */
    public static final String ATTR_STORAGE_EXISTING = "router.storage.existing";

    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey(ATTR_PROVIDER);
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey(ATTR_OUTCOME);
    static final AttributeKey<String> FAILURE_KIND = AttributeKey.stringKey(ATTR_FAILURE_KIND);
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey(ATTR_HTTP_STATUS);
    static final AttributeKey<String> SKIP_REASON = AttributeKey.stringKey(ATTR_SKIP_REASON);
    static final AttributeKey<Long> STORAGE_BYTES = AttributeKey.longKey(ATTR_STORAGE_BYTES);
    static final AttributeKey<String> STORAGE_EXTENSION = AttributeKey.stringKey(ATTR_STORAGE_EXTENSION);
    static final AttributeKey<Boolean> STORAGE_EXISTING = AttributeKey.booleanKey(ATTR_STORAGE_EXISTING);
    /** OpenTelemetry's semantic convention for the class of an error. */
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private static final TextMapSetter<Map<String, String>> MAP_SETTER = (carrier, key, value) -> carrier.put(key, value);

    /** No spans, no headers. */
    public static final Tracing NONE = new Tracing(OpenTelemetry.noop());

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    public Tracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer(SCOPE);
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    }

    /** Starts a provider attempt's span now, as a child of {@code parent}. */
    public AttemptSpan startAttempt(TraceParent parent, String provider) {
        Span span = tracer.spanBuilder(ATTEMPT_SPAN).setParent(parent.context).setSpanKind(SpanKind.INTERNAL)
                .setAttribute(PROVIDER, provider).startSpan();
        return new AttemptSpan(span, parent.context);
    }

    /** Records a provider the walk skipped without calling it: a span of no length under {@code parent}. */
    public void skipped(TraceParent parent, Attempt attempt) {
        Span span = tracer.spanBuilder(ATTEMPT_SPAN).setParent(parent.context).setSpanKind(SpanKind.INTERNAL)
                .setAttribute(PROVIDER, attempt.provider()).startSpan();
        if (span.isRecording()) {
            describe(span, attempt);
        }
        span.end();
    }

    /** Starts an image write's span now, as a child of the context current on this thread. */
    public StorageWriteSpan startStorageWrite(long bytes, String extension) {
        Span span = tracer.spanBuilder(STORAGE_WRITE_SPAN).setSpanKind(SpanKind.INTERNAL)
                .setAttribute(STORAGE_BYTES, bytes).setAttribute(STORAGE_EXTENSION, extension).startSpan();
        return new StorageWriteSpan(span);
    }

    /** The propagation headers ({@code traceparent}, {@code tracestate}) of the context current on this thread. */
    @Override
    public Map<String, String> current() {
        Context context = Context.current();
        if (!Span.fromContext(context).getSpanContext().isValid()) {
            return Map.of();
        }
        Map<String, String> headers = new HashMap<>(4);
        propagator.inject(context, headers, MAP_SETTER);
        return headers;
    }

    static void describe(Span span, Attempt attempt) {
        span.setAttribute(PROVIDER, attempt.provider());
        span.setAttribute(OUTCOME, attempt.outcome().wire());
        if (attempt.failureKind() != null) {
            span.setAttribute(FAILURE_KIND, attempt.failureKind().name());
            if (attempt.outcome() == Attempt.FAILURE) {
                span.setAttribute(ERROR_TYPE, attempt.failureKind().name());
            }
        }
        if (attempt.httpStatus() != null) {
            span.setAttribute(HTTP_STATUS, attempt.httpStatus().longValue());
        }
        if (attempt.outcome() == Attempt.SKIPPED && attempt.reason() != null) {
            span.setAttribute(SKIP_REASON, attempt.reason());
        }
    }
}
