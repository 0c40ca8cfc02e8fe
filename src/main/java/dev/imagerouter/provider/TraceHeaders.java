package dev.imagerouter.provider;

import java.util.Map;

/**
 * The headers that carry the current trace context to a provider (W3C {@code traceparent} and
 * {@code tracestate}), so that the provider's side of a call can be joined to the router's trace.
 * An adapter asks for them once, synchronously inside its {@code generate} or {@code resume}, where
 * the router has made the provider attempt's span current, and sends them with every HTTP call of
 * that generation (Leonardo's create and polls, OpenAI's generation): later steps run on other
 * threads, where the attempt is no longer current.
 */
@FunctionalInterface
public interface TraceHeaders {

    /** No tracing: no headers. */
    TraceHeaders NONE = Map::of;

    /** The headers for the trace context current on this thread; empty when there is none. Never null. */
    Map<String, String> current();

    /** {@code headers} plus the current trace headers, as a new map only when there are any. */
    default Map<String, String> addTo(Map<String, String> headers) {
        Map<String, String> trace = current();
        if (trace.isEmpty()) {
            return headers;
        }
        Map<String, String> all = new java.util.HashMap<>(headers);
        all.putAll(trace);
        return Map.copyOf(all);
    }
}
