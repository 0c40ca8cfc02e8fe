package dev.imagerouter.alerts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lets one alert per key through per interval, so that one outage is one message, not a thousand.
 * Keys are low-cardinality ({@code alert|provider}). Time comes from the injected clock. Thread-safe.
 */
public final class AlertThrottle {

    private final Clock clock;
    private final Map<String, Instant> lastSent = new ConcurrentHashMap<>();

    public AlertThrottle(Clock clock) {
        this.clock = clock;
    }

    /**
     * Whether an alert for {@code key} may be sent now; if so, records it as sent.
     *
     * @param minInterval the shortest time between two alerts for the same key
     */
    public boolean tryAcquire(String key, Duration minInterval) {
        Instant now = clock.instant();
        AtomicBoolean allowed = new AtomicBoolean();
        lastSent.compute(key, (k, last) -> {
            if (last == null || !now.isBefore(last.plus(minInterval))) {
                allowed.set(true);
                return now;
            }
            return last;
        });
        return allowed.get();
    }
}
