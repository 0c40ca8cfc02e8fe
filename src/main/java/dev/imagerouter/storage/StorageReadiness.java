package dev.imagerouter.storage;

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
 * {@code GET /health/readiness} (and {@code /health}) entry {@code storage}: DOWN while the image
 * store's writability probe fails, since every cache miss is then refused with 503
 * {@code storage_unavailable}; UP again after the next successful probe. Details:
 * {@code writable} (boolean), {@code checked_at} (ISO-8601 instant of the last probe) and, when
 * DOWN, {@code problem} (exception type and the system's reason, no path). Liveness is not
 * affected: a restart does not mend a disk. Reads the last probe's result, never the disk.
 */
@Singleton
@Readiness
public class StorageReadiness implements HealthIndicator {

    private final StorageProbe probe;

    public StorageReadiness(StorageProbe probe) {
        this.probe = probe;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        StorageProbe.Status status = probe.status();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("writable", status.writable());
        details.put("checked_at", status.checkedAt().toString());
        status.problem().ifPresent(p -> details.put("problem", p));
        return Publishers.just(HealthResult.builder("storage", status.writable() ? HealthStatus.UP : HealthStatus.DOWN)
                .details(details).build());
    }
}
