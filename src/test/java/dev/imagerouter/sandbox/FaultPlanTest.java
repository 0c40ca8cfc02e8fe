package dev.imagerouter.sandbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultPlanTest {

    @Test
    void parsesTargetsFaultsAndProbabilities_withDefaultProbabilityOne() {
        FaultPlan plan = FaultPlan.parse(" leonardo=429@0.3 , Leonardo=500@0.1,openai=TIMEOUT@0.05, leonardo-phoenix=slow ");

        assertEquals(List.of(
                new FaultRule("leonardo", SandboxFault.RATE_LIMITED, 0.3),
                new FaultRule("leonardo", SandboxFault.SERVER_ERROR, 0.1),
                new FaultRule("openai", SandboxFault.TIMEOUT, 0.05),
                new FaultRule("leonardo-phoenix", SandboxFault.SLOW, 1.0)), plan.rules());
        assertEquals("leonardo=429@0.3,leonardo=500@0.1,openai=timeout@0.05,leonardo-phoenix=slow", plan.toString());
        assertEquals(plan, FaultPlan.parse(plan.toString()));
    }

    @Test
    void blankOrNullIsTheEmptyPlan() {
        assertTrue(FaultPlan.parse(null).isEmpty());
        assertTrue(FaultPlan.parse("   ").isEmpty());
        assertEquals(FaultPlan.EMPTY, FaultPlan.parse(""));
    }

    @Test
    void aliasesMapToOneFault() {
        assertEquals(SandboxFault.QUOTA, FaultPlan.parse("openai=insufficient_quota").rules().get(0).fault());
        assertEquals(SandboxFault.QUOTA, FaultPlan.parse("leonardo=quota").rules().get(0).fault());
        assertEquals(SandboxFault.MODERATION, FaultPlan.parse("openai=moderation_blocked").rules().get(0).fault());
        assertEquals(SandboxFault.MODEL, FaultPlan.parse("leonardo=model_not_found").rules().get(0).fault());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "leonardo                | missing '='",
            "leonardo=42             | unknown fault '42'",
            "leonardo=429@1.5        | probability must be between 0 and 1, but was 1.5",
            "leonardo=429@-0.1       | probability must be between 0 and 1",
            "leonardo=429@often      | probability 'often' is not a number",
            "leonardo=429,,openai=500 | empty fault entry",
            "=429                    | invalid target ''",
            "leo nardo=429           | invalid target 'leo nardo'",
            "openai=failed           | fault 'failed' does not apply to openai",
            "leonardo=forbidden      | fault 'forbidden' does not apply to leonardo",
    })
    void rejectsBadSyntax_withAMessageNamingTheEntry(String spec, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(spec));

        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void matchesTheEmulatorTypeOrTheProviderInstanceName() {
        FaultPlan plan = FaultPlan.parse("leonardo-phoenix=429");
        Random random = new Random(1);

        assertEquals(Optional.of(SandboxFault.RATE_LIMITED), plan.select(EmulatorType.LEONARDO, "leonardo-phoenix", random));
        assertEquals(Optional.of(SandboxFault.RATE_LIMITED), plan.select(EmulatorType.LEONARDO, "Leonardo-Phoenix", random));
        assertEquals(Optional.empty(), plan.select(EmulatorType.LEONARDO, "leonardo-backup", random));
        assertEquals(Optional.empty(), plan.select(EmulatorType.LEONARDO, "", random));
        assertEquals(Optional.empty(), FaultPlan.parse("openai=429").select(EmulatorType.LEONARDO, "", random));
        assertEquals(Optional.of(SandboxFault.TIMEOUT), FaultPlan.parse("openai=timeout").select(EmulatorType.OPENAI, "x", random));
    }

    @Test
    void probabilityZeroNeverFires_probabilityOneAlwaysFires() {
        Random random = new Random(7);
        FaultPlan never = FaultPlan.parse("leonardo=429@0");
        FaultPlan always = FaultPlan.parse("leonardo=429@1");

        for (int i = 0; i < 1000; i++) {
            assertEquals(Optional.empty(), never.select(EmulatorType.LEONARDO, "", random));
            assertEquals(Optional.of(SandboxFault.RATE_LIMITED), always.select(EmulatorType.LEONARDO, "", random));
        }
    }

    @Test
    void probabilitiesOfMatchingRulesAreCumulative_oneDrawPerRequest() {
        FaultPlan plan = FaultPlan.parse("leonardo=429@0.3,leonardo=500@0.1,openai=503@1");
        Random random = new Random(12345);
        int rateLimited = 0;
        int serverError = 0;
        int none = 0;
        for (int i = 0; i < 20_000; i++) {
            Optional<SandboxFault> f = plan.select(EmulatorType.LEONARDO, "", random);
            if (f.isEmpty()) {
                none++;
            } else if (f.get() == SandboxFault.RATE_LIMITED) {
                rateLimited++;
            } else if (f.get() == SandboxFault.SERVER_ERROR) {
                serverError++;
            }
        }

        assertEquals(0.30, rateLimited / 20_000.0, 0.02);
        assertEquals(0.10, serverError / 20_000.0, 0.02);
        assertEquals(0.60, none / 20_000.0, 0.02);
    }

    @Test
    void sameSeedGivesTheSameSequence() {
        FaultPlan plan = FaultPlan.parse("openai=429@0.5");
        Random a = new Random(99);
        Random b = new Random(99);
        for (int i = 0; i < 100; i++) {
            assertEquals(plan.select(EmulatorType.OPENAI, "", a), plan.select(EmulatorType.OPENAI, "", b));
        }
    }

    @Test
    void settingsRejectABadStandingPlan_namingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.builder().faults("leonardo=nope").build());

        assertTrue(e.getMessage().startsWith("router.sandbox.faults is invalid: fault entry 'leonardo=nope'"), e.getMessage());
    }

    @Test
    void settingsValidateRanges() {
        assertThrows(IllegalArgumentException.class, () -> SandboxSettings.builder()
                .pending(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(1)).build());
        assertThrows(IllegalArgumentException.class, () -> SandboxSettings.builder().leonardoModerationStatus(200).build());
        assertThrows(IllegalArgumentException.class, () -> SandboxSettings.builder().leonardoApiKeys(java.util.Set.of("abc")).build());
        assertThrows(IllegalArgumentException.class, () -> SandboxSettings.builder()
                .creditsPerImage(java.math.BigDecimal.valueOf(-1)).build());
    }
}
