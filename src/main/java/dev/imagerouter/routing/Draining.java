package dev.imagerouter.routing;

import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/*
 * Draining for a shutdown
 * -----------------------
 * Once a shutdown has started (SIGTERM, see config.GracefulShutdown) the router finishes what it
 * has begun and begins nothing that costs money:
 *   - GenerationService refuses a request that would call a provider (a cache miss) with
 *     ShuttingDownException (503 shutting_down); cache hits, Idempotency-Key replays and requests
 *     that join an identical generation already in flight are still answered;
 *   - JobService accepts no new job and starts no provider call for a queued one (it stays in the
 *     job store and runs after the restart);
 *   - readiness (entry "shutdown") is DOWN, so a load balancer stops sending traffic.
 * The state only ever moves forward: serving → draining. Nothing here waits or exits; the wiring
 * does that.
 */
/** Whether the router is draining for a shutdown; its readiness entry {@code shutdown}. Thread-safe. */
@Singleton
@Readiness
public class Draining implements HealthIndicator {

    /** {@code Retry-After} of requests refused while draining: about one restart, or a load balancer's re-route. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final Clock clock;
    private volatile Instant since;
    private volatile Instant graceEnds;

    public Draining(Clock clock) {
        this.clock = clock;
    }

    /**
     * Starts draining (once; later calls change nothing).
     *
     * @param grace how long the work in flight may take, for the readiness details
     * @return whether this call started it
     */
    public synchronized boolean start(Duration grace) {
        if (since != null) {
            return false;
        }
        Instant now = clock.instant();
        graceEnds = now.plus(grace);
        since = now;
        return true;
    }

    /** Whether a shutdown has started: one volatile read. */
    public boolean active() {
        return since != null;
    }

    /**
     * @throws ShuttingDownException while draining
     */
    public void requireOpen() {
        if (since != null) {
            throw new ShuttingDownException("The router is shutting down and starts no new generation; retry in "
                    + RETRY_AFTER.toSeconds() + " s (another instance, or this one after its restart, serves it).", RETRY_AFTER);
        }
    }

    @Override
    public Publisher<HealthResult> getResult() {
        Instant started = since;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", started == null ? "serving" : "draining");
        if (started != null) {
            details.put("since", started.toString());
            details.put("grace_ends_at", graceEnds.toString());
        }
        return Publishers.just(HealthResult.builder("shutdown", started == null ? HealthStatus.UP : HealthStatus.DOWN)
                .details(details).build());
    }
}
