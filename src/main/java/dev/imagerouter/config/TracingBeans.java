package dev.imagerouter.config;

import dev.imagerouter.tracing.Tracing;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.context.env.Environment;
import io.micronaut.context.event.BeanPreDestroyEvent;
import io.micronaut.context.event.BeanPreDestroyEventListener;
import io.micronaut.tracing.opentelemetry.OpenTelemetryBuilderCustomizer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/*
 * Tracing's wiring (README "Tracing"). Micronaut tracing (micronaut-tracing-opentelemetry-http)
 * builds the OpenTelemetry SDK from the otel.* properties, OpenTelemetry's own environment variables
 * (OTEL_*, which win over the files) and Micronaut's defaults (service name = the application's, every
 * exporter "none"), and makes each request's server span. The router's own spans come from
 * dev.imagerouter.tracing.Tracing, built here on the same OpenTelemetry.
 *
 * Tracing runs only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT, i.e.
 * otel.exporter.otlp.endpoint): application.yml sets micronaut.otel.enabled to that endpoint, or
 * false (a traces-only OTEL_EXPORTER_OTLP_TRACES_ENDPOINT needs MICRONAUT_OTEL_ENABLED=true as well:
 * a placeholder takes one default here). Spans that nobody exports are not free: with
 * the SDK running and no exporter, about a tenth of the router's CPU on a cache hit and a twentieth
 * on a generation went into them (bench/RESULTS.md, "Tracing"). So without an endpoint Micronaut
 * tracing's beans are absent: no OpenTelemetry, no server span, Tracing.NONE, no trace header sent.
 * MICRONAUT_OTEL_ENABLED=true|false forces it either way (tests that read spans set true).
 *
 * With tracing on and no exporter chosen explicitly (OTEL_TRACES_EXPORTER / otel.traces.exporter),
 * the traces exporter becomes otlp when an endpoint is configured (Micronaut's default is none). An
 * explicit choice always wins (OTEL_TRACES_EXPORTER=none turns export off with an endpoint set).
 * A property placeholder cannot say "otlp when that variable is set", hence this customizer.
 *
 * Shutdown: Micronaut tracing does not shut its SDK down when the application stops, so the spans
 * still queued for export (up to otel.bsp.schedule.delay, 5 s, of them) would be lost; the SDK is
 * shut down (flushed) when its bean is destroyed, after the beans that use it, for at most 5 s.
 */
/** The router's {@link Tracing} and the rule that turns OTLP export on when an endpoint is configured. */
@Factory
public class TracingBeans {

    private static final Logger LOG = LoggerFactory.getLogger(TracingBeans.class);
    static final String TRACES_EXPORTER = "otel.traces.exporter";
    static final String ENDPOINT = "otel.exporter.otlp.endpoint";
    static final String TRACES_ENDPOINT = "otel.exporter.otlp.traces.endpoint";

    /** No OpenTelemetry bean when tracing is off ({@code micronaut.otel.enabled: false}): no spans, no headers. */
    @Singleton
    @Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
    Tracing tracing(@Nullable OpenTelemetry openTelemetry) {
        if (openTelemetry == null) {
            LOG.info("tracing: off (set OTEL_EXPORTER_OTLP_ENDPOINT to export spans over OTLP)");
            return Tracing.NONE;
        }
        return new Tracing(openTelemetry);
    }

    /** Applied by Micronaut tracing while it builds the SDK. */
    @Singleton
    OpenTelemetryBuilderCustomizer otlpWhenAnEndpointIsSet(Environment environment) {
        boolean chosen = environment.containsProperty(TRACES_EXPORTER);
        return sdk -> sdk.addPropertiesCustomizer(config -> {
            Map<String, String> decided = exporter(chosen, config);
            report(decided, config);
            return decided;
        });
    }

    /** Exports the spans still queued when the application stops (see above). */
    @Singleton
    BeanPreDestroyEventListener<OpenTelemetry> flushSpansAtShutdown() {
        return new BeanPreDestroyEventListener<>() {
            @Override
            public OpenTelemetry onPreDestroy(BeanPreDestroyEvent<OpenTelemetry> event) {
                if (event.getBean() instanceof OpenTelemetrySdk sdk
                        && !sdk.getSdkTracerProvider().shutdown().join(5, TimeUnit.SECONDS).isSuccess()) {
                    LOG.warn("tracing: spans still queued at shutdown were not all exported within 5 s");
                }
                return event.getBean();
            }
        };
    }

    /** {@code otel.traces.exporter=otlp} when no exporter was chosen and an OTLP endpoint is configured; else nothing. */
    static Map<String, String> exporter(boolean exporterChosen, ConfigProperties config) {
        if (exporterChosen || endpoint(config) == null) {
            return Map.of();
        }
        return Map.of(TRACES_EXPORTER, "otlp");
    }

    private static String endpoint(ConfigProperties config) {
        for (String key : new String[]{TRACES_ENDPOINT, ENDPOINT}) {
            String value = config.getString(key);
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }

    /** One startup line: where spans go (host and port only: an endpoint URL may carry credentials). */
    private static void report(Map<String, String> decided, ConfigProperties config) {
        String exporter = decided.getOrDefault(TRACES_EXPORTER, config.getString(TRACES_EXPORTER, "none"));
        if ("none".equals(exporter)) {
            LOG.info("tracing: on, but spans are not exported (traces exporter none)");
            return;
        }
        String endpoint = endpoint(config);
        String where = "the exporter's default endpoint";
        if (endpoint != null) {
            try {
                URI uri = URI.create(endpoint);
                where = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
            } catch (IllegalArgumentException e) {
                where = "an unparsable endpoint";
            }
        }
        LOG.info("tracing: spans exported with {} ({}) to {}", exporter,
                config.getString("otel.exporter.otlp.traces.protocol", config.getString("otel.exporter.otlp.protocol", "grpc")), where);
    }
}
