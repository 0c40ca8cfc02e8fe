package dev.imagerouter.alerts;

import dev.imagerouter.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One alert per (alert, provider) key per min-interval, measured on the injected clock. */
class AlertThrottleTest {

    @Test
    void repeatsWithinTheInterval_areHeld_otherKeysAreNot_andTheIntervalEnds() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
        AlertThrottle throttle = new AlertThrottle(clock);
        Duration tenMinutes = Duration.ofMinutes(10);

        assertTrue(throttle.tryAcquire("AUTH_FAILED|leonardo-phoenix", tenMinutes));
        assertFalse(throttle.tryAcquire("AUTH_FAILED|leonardo-phoenix", tenMinutes));
        assertTrue(throttle.tryAcquire("AUTH_FAILED|openai-gpt-image-2", tenMinutes));
        assertTrue(throttle.tryAcquire("QUOTA_EXHAUSTED|leonardo-phoenix", tenMinutes));

        clock.advance(Duration.ofMinutes(9));
        assertFalse(throttle.tryAcquire("AUTH_FAILED|leonardo-phoenix", tenMinutes));
        clock.advance(Duration.ofMinutes(1));
        assertTrue(throttle.tryAcquire("AUTH_FAILED|leonardo-phoenix", tenMinutes));
        assertFalse(throttle.tryAcquire("AUTH_FAILED|leonardo-phoenix", tenMinutes));
    }
}
