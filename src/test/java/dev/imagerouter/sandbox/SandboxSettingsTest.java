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
}
