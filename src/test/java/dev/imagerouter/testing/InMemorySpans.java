package dev.imagerouter.testing;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import jakarta.inject.Singleton;

/**
 * Keeps every ended span in memory, for tests that look at traces: {@link #enable} the properties
 * and inject {@link InMemorySpanExporter}. Micronaut tracing adds the {@link SpanProcessor} bean to
 * the SDK it builds (the configured exporter stays {@code none}); a simple processor exports each
 * span as it ends, on the ending thread.
 */
@Factory
@Requires(property = InMemorySpans.PROPERTY, value = "true")
public class InMemorySpans {

    public static final String PROPERTY = "test.tracing.in-memory";

    /** Tracing on (without an OTLP endpoint it is off) and the spans kept here. */
    public static void enable(java.util.Map<String, ? super String> properties) {
        properties.put("micronaut.otel.enabled", "true");
        properties.put(PROPERTY, "true");
    }

    @Singleton
    InMemorySpanExporter inMemorySpanExporter() {
        return InMemorySpanExporter.create();
    }

    @Singleton
    SpanProcessor inMemorySpanProcessor(InMemorySpanExporter exporter) {
        return SimpleSpanProcessor.create(exporter);
    }
}
