package dev.imagerouter.sandbox;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Validation and defaults of the emulators' settings. */
class SandboxSettingsTest {

    @Test
    void lateSettingsDefaultToTenAndThirtySeconds() {
        SandboxSettings defaults = SandboxSettings.defaults();

        assertEquals(Duration.ofSeconds(10), defaults.lateAfter());
        assertEquals(Duration.ofSeconds(30), defaults.lateTimeout());
    }

    @Test
    void negativeLateAfterIsRefused_namingTheKeyAndTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().late(Duration.ofSeconds(-1), Duration.ofSeconds(30)).build());

        assertEquals("router.sandbox.late-after must be a duration >= 0, but was PT-1S", e.getMessage());
    }

    @Test
    void negativeOrMissingLateTimeoutIsRefused_namingTheKeyAndTheValue() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().late(Duration.ZERO, Duration.ofMillis(-500)).build());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().late(Duration.ZERO, null).build());

        assertEquals("router.sandbox.late-timeout must be a duration >= 0, but was PT-0.5S", negative.getMessage());
        assertEquals("router.sandbox.late-timeout must be a duration >= 0, but was null", missing.getMessage());
    }

    @Test
    void zeroLateDurationsAreAccepted() {
        SandboxSettings s = SandboxSettings.builder().late(Duration.ZERO, Duration.ZERO).build();

        assertEquals(Duration.ZERO, s.lateAfter());
        assertEquals(Duration.ZERO, s.lateTimeout());
    }

    // ---- Leonardo account limits ----

    @Test
    void leonardoLimitsAreOffByDefault() {
        LeonardoLimits limits = SandboxSettings.defaults().leonardoLimits();

        assertEquals(new LeonardoLimits(0, Duration.ofMinutes(1), 0, 200), limits);
        assertEquals(LeonardoLimits.NONE, limits);
    }

    @Test
    void negativeLeonardoLimitsAreRefused_namingTheKeyTheValueAndWhatWasExpected() {
        IllegalArgumentException createLimit = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().leonardoCreateLimit(-1, Duration.ofMinutes(1)).build());
        IllegalArgumentException concurrent = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().leonardoConcurrentJobs(-2, 200).build());
        IllegalArgumentException pending = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().leonardoConcurrentJobs(10, -3).build());

        assertEquals("router.sandbox.leonardo-create-limit must be an integer from 0 to 1000000 (0 = unlimited), but was -1",
                createLimit.getMessage());
        assertEquals("router.sandbox.leonardo-concurrent-jobs must be an integer from 0 to 100000 (0 = unlimited), but was -2",
                concurrent.getMessage());
        assertEquals("router.sandbox.leonardo-pending-jobs must be an integer from 0 to 100000 (0 = no job waits), but was -3",
                pending.getMessage());
    }

    @Test
    void aNegativeZeroOrMissingCreateWindowIsRefused_namingTheKeyAndTheValue() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().leonardoCreateLimit(100, Duration.ofSeconds(-1)).build());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().leonardoCreateLimit(100, Duration.ZERO).build());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().leonardoCreateLimit(100, null).build());

        assertEquals("router.sandbox.leonardo-create-window must be a duration > 0, but was PT-1S", negative.getMessage());
        assertEquals("router.sandbox.leonardo-create-window must be a duration > 0, but was PT0S", zero.getMessage());
        assertEquals("router.sandbox.leonardo-create-window must be a duration > 0, but was null", missing.getMessage());
    }

    @Test
    void leonardoLimitsAboveTheirBoundAreRefused_andZeroAndTheBoundsAreAccepted() {
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().leonardoConcurrentJobs(100_001, 200).build());
        assertEquals("router.sandbox.leonardo-concurrent-jobs must be an integer from 0 to 100000 (0 = unlimited), but was 100001",
                tooMany.getMessage());

        SandboxSettings s = SandboxSettings.builder().leonardoCreateLimit(1_000_000, Duration.ofMillis(1))
                .leonardoConcurrentJobs(100_000, 0).build();
        assertEquals(new LeonardoLimits(1_000_000, Duration.ofMillis(1), 100_000, 0), s.leonardoLimits());
        assertEquals(s, s.toBuilder().build());
    }
}
