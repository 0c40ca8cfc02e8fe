package dev.imagerouter.cluster;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /health/readiness} (and {@code /health}) entry {@code redis}, always UP: Redis down is a
 * degraded mode (every replica serves with its own state), not a reason to take the replica out of
 * traffic. Details: {@code state} ({@code off}: no {@code REDIS_URI}, one replica with embedded state;
 * {@code up}: state is shared; {@code degraded}: configured but unreachable, per-replica state),
 * {@code replica_id}, and with Redis configured {@code endpoint} (scheme, host and port; never the
 * credentials) and {@code key_prefix}. Alert on {@code image_router_redis_up} instead (grafana/).
 */
@Singleton
@Readiness
public class ClusterReadiness implements HealthIndicator {

    private final Cluster cluster;

    public ClusterReadiness(Cluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", !cluster.enabled() ? "off" : cluster.up() ? "up" : "degraded");
        details.put("replica_id", cluster.replicaId());
        if (cluster.enabled()) {
            details.put("endpoint", cluster.settings().redisEndpoint());
            details.put("key_prefix", cluster.settings().keyPrefix());
        }
        return Publishers.just(HealthResult.builder("redis", HealthStatus.UP).details(details).build());
    }
}
