package dev.imagerouter.testing;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import jakarta.inject.Singleton;

/**
 * Keeps every ended span in memory, for tests that look at traces: set {@link #PROPERTY} to
 * {@code true} and inject {@link InMemorySpanExporter}. Micronaut tracing adds the
 * {@link SpanProcessor} bean to the SDK it builds (the configured exporter stays {@code none}); a
 * simple processor exports each span as it ends, on the ending thread.
 */
@Factory
@Requires(property = InMemorySpans.PROPERTY, value = "true")
public class InMemorySpans {

    public static final String PROPERTY = "test.tracing.in-memory";

    @Singleton
    InMemorySpanExporter inMemorySpanExporter() {
        return InMemorySpanExporter.create();
    }

    @Singleton
    SpanProcessor inMemorySpanProcessor(InMemorySpanExporter exporter) {
        return SimpleSpanProcessor.create(exporter);
    }
}
