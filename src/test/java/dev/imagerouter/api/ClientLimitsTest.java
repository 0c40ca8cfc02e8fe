package dev.imagerouter.api;

import dev.imagerouter.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-client limits with an injected clock: no sleeping. */
class ClientLimitsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:30Z"));
    private final ClientLimits limits = new ClientLimits(clock);

    @Test
    void requestsPerMinute_windowStartsAtFirstRequest_andRetryAfterIsItsEnd() {
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.empty(), limits.admitRequest("ci", 3));
            clock.advance(Duration.ofSeconds(10));
        }
        // 30 s after the first request: refused until 60 s after it
        assertEquals(Optional.of(Duration.ofSeconds(30)), limits.admitRequest("ci", 3));
        assertEquals(Optional.empty(), limits.admitRequest("blog", 3), "limits are per client");
        clock.advance(Duration.ofSeconds(30));
        assertEquals(Optional.empty(), limits.admitRequest("ci", 3), "a new window starts");
    }

    @Test
    void refusedRequests_doNotCount() {
        limits.admitRequest("ci", 1);
        for (int i = 0; i < 5; i++) {
            assertTrue(limits.admitRequest("ci", 1).isPresent());
        }
        clock.advance(Duration.ofMinutes(1));
        assertEquals(Optional.empty(), limits.admitRequest("ci", 1));
    }

    @Test
    void zeroLimit_isOff() {
        for (int i = 0; i < 1000; i++) {
            assertEquals(Optional.empty(), limits.admitRequest("ci", 0));
            assertEquals(Optional.empty(), limits.admitImages("ci", 4, 0));
        }
    }

    @Test
    void imagesPerDay_countsN_untilUtcMidnight() {
        assertEquals(Optional.empty(), limits.admitImages("ci", 4, 6));
        assertEquals(Optional.empty(), limits.admitImages("ci", 2, 6));
        // 10:00:30 → midnight is 13 h 59 min 30 s away
        assertEquals(Optional.of(Duration.ofHours(13).plusMinutes(59).plusSeconds(30)), limits.admitImages("ci", 1, 6));
        clock.set(Instant.parse("2026-03-02T00:00:00Z"));
        assertEquals(Optional.empty(), limits.admitImages("ci", 4, 6), "a new UTC day");
    }

    @Test
    void releasedImages_returnToTheDailyAllowance() {
        assertEquals(Optional.empty(), limits.admitImages("ci", 4, 4));
        assertTrue(limits.admitImages("ci", 1, 4).isPresent());
        limits.releaseImages("ci", 4);
        assertEquals(Optional.empty(), limits.admitImages("ci", 4, 4));
    }

    @Test
    void retryAfter_isWholeSecondsRoundedUp_atLeastOne() {
        assertEquals(1, ClientLimits.retryAfterSeconds(Duration.ZERO));
        assertEquals(1, ClientLimits.retryAfterSeconds(Duration.ofMillis(1)));
        assertEquals(30, ClientLimits.retryAfterSeconds(Duration.ofMillis(29_001)));
    }
}
