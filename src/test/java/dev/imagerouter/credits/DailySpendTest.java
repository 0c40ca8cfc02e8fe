package dev.imagerouter.credits;

import dev.imagerouter.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Daily spend is per provider and per UTC day of the injected clock. */
class DailySpendTest {

    @Test
    void spendAddsUpPerProvider_andStartsAtZeroWhenTheUtcDayChanges() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-23T23:59:00Z"));
        DailySpend spend = new DailySpend(clock);

        spend.add("openai", new BigDecimal("0.25"));
        DailySpend.Added second = spend.add("openai", new BigDecimal("0.042"));
        spend.add("other", new BigDecimal("1"));

        assertEquals(new BigDecimal("0.25"), second.before());
        assertEquals(new BigDecimal("0.292"), spend.today("openai"));
        assertEquals(new BigDecimal("1"), spend.today("other"));

        clock.advance(Duration.ofMinutes(2)); // 00:01 UTC, the next day
        assertEquals(BigDecimal.ZERO, spend.today("openai"));
        assertEquals(new BigDecimal("0.011"), spend.add("openai", new BigDecimal("0.011")).after());
    }
}
