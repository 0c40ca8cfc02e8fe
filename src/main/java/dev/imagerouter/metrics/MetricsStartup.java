package dev.imagerouter.metrics;

import dev.imagerouter.cache.ResultCache;
import dev.imagerouter.callbacks.CallbackSender;
import io.micronaut.context.annotation.Context;

/**
 * Creates the beans that register meters when the application starts instead of on the first
 * generation request (Micronaut creates singletons lazily, and the controller is the first to ask
 * for them). A fresh instance therefore exports, before any traffic: the circuit breaker state,
 * rate-limiter and bulkhead gauges of every provider in the chain, the result cache's meters, and
 * the request and callback delivery counters at 0. Operators see the breakers on the dashboard right
 * after a restart, and Prometheus' {@code increase()} sees the first failure (it cannot see a series
 * appear at 1).
 */
@Context
final class MetricsStartup {

    MetricsStartup(RouterMetrics metrics, ResultCache cache, CallbackSender callbacks) {
        // Nothing to do: constructing the three beans registers their meters.
    }
}
