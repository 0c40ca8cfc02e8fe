package dev.imagerouter.credits;

import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.testing.MutableClock;
import dev.imagerouter.testing.RouterTestSupport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Daily spend is per provider, unit and UTC day of the injected clock; a call is admitted while
 * settled + reserved spend is below the budget, and its reservation is settled or released once.
 */
class DailySpendTest {

    static final String USD = DailySpend.USD;
    static final String CREDITS = DailySpend.CREDITS;
    static final Map<String, BigDecimal> BUDGET_1_USD = Map.of(USD, new BigDecimal("1.00"));

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T23:00:00Z"));

    @Test
    void spendAddsUpPerProviderAndUnit_andStartsAtZeroWhenTheUtcDayChanges() {
        DailySpend spend = new DailySpend(clock);

        spend.add("openai", USD, new BigDecimal("0.25"));
        DailySpend.Added second = spend.add("openai", USD, new BigDecimal("0.042"));
        spend.add("other", USD, new BigDecimal("1"));
        spend.add("openai", CREDITS, new BigDecimal("8"));

        assertEquals(new BigDecimal("0.25"), second.before());
        assertEquals(new BigDecimal("0.292"), spend.today("openai", USD));
        assertEquals(new BigDecimal("1"), spend.today("other", USD));
        assertEquals(new BigDecimal("8"), spend.today("openai", CREDITS));

        clock.advance(Duration.ofMinutes(61)); // 00:01 UTC, the next day
        assertEquals(BigDecimal.ZERO, spend.today("openai", USD));
        assertEquals(new BigDecimal("0.011"), spend.add("openai", USD, new BigDecimal("0.011")).after());
    }

    @Test
    void reservationsCountAgainstTheBudget_untilItIsReached_thenCallsAreRefused() {
        DailySpend spend = new DailySpend(clock);
        Map<String, BigDecimal> expected = Map.of(USD, new BigDecimal("0.40"));

        // 0 + 0.40 + 0.40 = 0.80 < 1.00: a third call is still admitted (the overshoot of one call)
        DailySpend.Hold a = spend.reserve("openai", expected, BUDGET_1_USD).orElseThrow();
        DailySpend.Hold b = spend.reserve("openai", expected, BUDGET_1_USD).orElseThrow();
        DailySpend.Hold c = spend.reserve("openai", expected, BUDGET_1_USD).orElseThrow();
        assertEquals(new BigDecimal("1.20"), spend.reserved("openai", USD));
        // 1.20 in flight reaches 1.00: refused, though nothing is settled yet
        assertTrue(spend.reserve("openai", expected, BUDGET_1_USD).isEmpty());
        assertEquals(BigDecimal.ZERO, spend.today("openai", USD));
        // another provider and another unit are not held by it
        assertTrue(spend.reserve("other", expected, BUDGET_1_USD).isPresent());
        assertTrue(spend.reserve("openai", Map.of(CREDITS, BigDecimal.TEN), Map.of(CREDITS, new BigDecimal("100"))).isPresent());
        // but the USD budget holds whatever else the call reserves
        assertTrue(spend.reserve("openai", Map.of(CREDITS, BigDecimal.TEN), BUDGET_1_USD).isEmpty());

        // releasing gives the reservation back: 0.80 in flight admits one more
        c.release();
        assertEquals(new BigDecimal("0.80"), spend.reserved("openai", USD));
        assertTrue(spend.reserve("openai", expected, BUDGET_1_USD).isPresent());
        a.release();
        b.release();
    }

    @Test
    void settleWithAHigherActualCost_replacesTheEstimate_andADoubleSettleOrALateReleaseIsIgnored() {
        DailySpend spend = new DailySpend(clock);
        DailySpend.Hold hold = spend.reserve("openai", Map.of(USD, new BigDecimal("0.40")), BUDGET_1_USD).orElseThrow();

        List<DailySpend.Added> settled = hold.settle(Optional.of(new ProviderResult.Cost(new BigDecimal("0.95"), USD)));

        assertEquals(List.of(new DailySpend.Added(USD, BigDecimal.ZERO, new BigDecimal("0.95"))), settled);
        assertEquals(new BigDecimal("0.95"), spend.today("openai", USD));
        assertEquals(BigDecimal.ZERO, spend.reserved("openai", USD));
        // settled a second time, or released after: nothing changes
        assertEquals(List.of(), hold.settle(Optional.of(new ProviderResult.Cost(new BigDecimal("0.95"), USD))));
        hold.release();
        assertEquals(new BigDecimal("0.95"), spend.today("openai", USD));
        assertEquals(BigDecimal.ZERO, spend.reserved("openai", USD));
        // 0.95 < 1.00 still admits one call; a settle in the other unit (Leonardo on PAYG) counts there
        DailySpend.Hold next = spend.reserve("openai", Map.of(USD, new BigDecimal("0.40")), BUDGET_1_USD).orElseThrow();
        next.settle(Optional.of(new ProviderResult.Cost(new BigDecimal("0.10"), USD)));
        assertTrue(spend.reserve("openai", Map.of(USD, new BigDecimal("0.40")), BUDGET_1_USD).isEmpty());
    }

    @Test
    void settleWithoutAReportedCost_keepsTheEstimate_andReleaseAfterSettleIsIgnored() {
        DailySpend spend = new DailySpend(clock);
        DailySpend.Hold hold = spend.reserve("leo", Map.of(CREDITS, new BigDecimal("16")), Map.of()).orElseThrow();

        hold.settle(Optional.empty());
        hold.release();

        assertEquals(new BigDecimal("16"), spend.today("leo", CREDITS));
        assertEquals(BigDecimal.ZERO, spend.reserved("leo", CREDITS));
    }

    @Test
    void atTheDayRollover_yesterdaysSpendAndReservationsNoLongerCount_andALateSettleCountsOnTheNewDay() {
        DailySpend spend = new DailySpend(clock);
        spend.add("openai", USD, new BigDecimal("1.50"));
        DailySpend.Hold inFlight = spend.reserve("openai", Map.of(USD, new BigDecimal("0.40")), Map.of()).orElseThrow();
        assertTrue(spend.reserve("openai", Map.of(USD, new BigDecimal("0.40")), BUDGET_1_USD).isEmpty());

        clock.set(Instant.parse("2026-11-24T00:00:00Z"));

        assertEquals(BigDecimal.ZERO, spend.today("openai", USD));
        assertEquals(BigDecimal.ZERO, spend.reserved("openai", USD));
        DailySpend.Hold today = spend.reserve("openai", Map.of(USD, new BigDecimal("0.40")), BUDGET_1_USD).orElseThrow();
        // yesterday's call paid now: its cost counts today, and giving back its reservation does not touch today's
        inFlight.settle(Optional.of(new ProviderResult.Cost(new BigDecimal("0.30"), USD)));
        assertEquals(new BigDecimal("0.30"), spend.today("openai", USD));
        assertEquals(new BigDecimal("0.40"), spend.reserved("openai", USD));
        today.release();
        assertEquals(BigDecimal.ZERO, spend.reserved("openai", USD));
    }

    @Test
    void settledSpendIsJournaled_andReadBackByANewInstance_skippingATornLastLine() throws IOException {
        Path dir = RouterTestSupport.tempDir("spend");
        SpendJournal journal = new SpendJournal(dir);
        DailySpend first = new DailySpend(clock, journal);
        first.reserve("leo", Map.of(CREDITS, new BigDecimal("8")), Map.of()).orElseThrow()
                .settle(Optional.of(new ProviderResult.Cost(new BigDecimal("9"), CREDITS)));
        first.add("openai", USD, new BigDecimal("0.053"));
        first.reserve("openai", Map.of(USD, new BigDecimal("0.4")), Map.of()).orElseThrow().release(); // nothing paid
        journal.close();
        // a crash in the middle of a line
        Path file = journal.file(LocalDate.of(2026, 11, 23));
        Files.writeString(file, "2026-11-23T23:00:00Z\topenai\tUSD\t0.0", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        SpendJournal reopened = new SpendJournal(dir);
        DailySpend second = new DailySpend(clock, reopened);
        assertEquals(new BigDecimal("9"), second.today("leo", CREDITS));
        assertEquals(new BigDecimal("0.053"), second.today("openai", USD));
        // the next line after the torn one is whole, so a third instance reads it
        second.add("openai", USD, new BigDecimal("0.041"));
        reopened.close();
        assertEquals(new BigDecimal("0.094"), new DailySpend(clock, new SpendJournal(dir)).today("openai", USD));
        // and another day has its own file
        clock.advance(Duration.ofDays(1));
        assertEquals(BigDecimal.ZERO, new DailySpend(clock, new SpendJournal(dir)).today("openai", USD));
    }
}
