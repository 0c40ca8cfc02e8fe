package dev.imagerouter.credits;

import dev.imagerouter.provider.CreditSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The threshold levels and their hysteresis (warn 2000, critical 500, skip 50, hysteresis 100). */
class CreditLevelTest {

    static final CreditSettings SETTINGS = new CreditSettings(Duration.ofMinutes(5), Duration.ofSeconds(10),
            Optional.of(new BigDecimal("2000")), Optional.of(new BigDecimal("500")), Optional.of(new BigDecimal("50")),
            new BigDecimal("100"));

    @ParameterizedTest(name = "{0} at {1} → {2}")
    @CsvSource({
            // falling: immediate, strictly below
            "OK, 2000, OK",
            "OK, 1999.99, WARN",
            "OK, 499, CRITICAL",
            "OK, 10, SKIP",
            "OK, -3.5, SKIP",
            "WARN, 1200, WARN",
            "WARN, 40, SKIP",
            // rising: only past threshold + hysteresis
            "WARN, 2000, WARN",
            "WARN, 2099.99, WARN",
            "WARN, 2100, OK",
            "SKIP, 60, SKIP",
            "SKIP, 149, SKIP",
            "SKIP, 150, CRITICAL",
            "SKIP, 599, CRITICAL",
            "SKIP, 600, WARN",
            "SKIP, 5000, OK",
            "CRITICAL, 2050, WARN",
    })
    void nextLevel_fallsAtOnce_andRecoversOnlyPastTheHysteresis(CreditLevel current, BigDecimal balance, CreditLevel expected) {
        assertEquals(expected, CreditLevel.next(current, balance, SETTINGS));
    }

    @Test
    void unconfiguredLevels_areNeverReached() {
        CreditSettings warnOnly = new CreditSettings(Duration.ofMinutes(5), Duration.ofSeconds(10),
                Optional.of(new BigDecimal("100")), Optional.empty(), Optional.empty(), BigDecimal.ZERO);

        assertEquals(CreditLevel.WARN, CreditLevel.next(CreditLevel.OK, new BigDecimal("-1000"), warnOnly));
        assertEquals(CreditLevel.OK, CreditLevel.next(CreditLevel.SKIP, new BigDecimal("100"), warnOnly));
    }

    @Test
    void aBalanceHoveringAroundAThreshold_changesLevelOnlyTwice() {
        ProviderCredits credits = new ProviderCredits("leonardo-phoenix");
        int changes = 0;
        long seq = 0;
        for (String b : new String[]{"2010", "1990", "2010", "1990", "2090", "1999", "2100", "2099", "2001"}) {
            changes += credits.observe(++seq, new BigDecimal(b), SETTINGS, java.time.Instant.EPOCH).isPresent() ? 1 : 0;
        }
        assertEquals(2, changes); // 1990: WARN fires; 2100: WARN resolves
        assertEquals(CreditLevel.OK, credits.level());
    }

    @Test
    void aStaleCheckResult_doesNotOverwriteANewerOne() {
        ProviderCredits credits = new ProviderCredits("leonardo-phoenix");
        long older = credits.startCheck(0);
        long newer = credits.startCheck(1);

        credits.observe(newer, new BigDecimal("5000"), SETTINGS, java.time.Instant.EPOCH);
        credits.observe(older, new BigDecimal("10"), SETTINGS, java.time.Instant.EPOCH);

        assertEquals(new BigDecimal("5000"), credits.balance().orElseThrow());
        assertEquals(CreditLevel.OK, credits.level());
    }
}
