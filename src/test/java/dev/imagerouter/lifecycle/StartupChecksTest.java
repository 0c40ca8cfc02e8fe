package dev.imagerouter.lifecycle;

import dev.imagerouter.sandbox.SandboxStats;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The startup credit-balance check and model check run side by side: with the balance check held
 * by the emulator (slow fault, 5 s) and its timeout at 3 s, the model check still reaches the
 * OpenAI emulator at once. Run one after the other, it would arrive only after the balance check
 * had timed out, 3 s later.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StartupChecksTest implements TestPropertyProvider {

    @Inject
    SandboxStats stats;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = RouterTestSupport.fastSandbox();
        p.put("router.chain", "openai-gpt-image-2,leonardo-phoenix");
        p.put("router.sandbox.faults", "leonardo-phoenix.credits=slow");
        p.put("router.providers.leonardo-phoenix.credits.check-timeout", "3s");
        return p;
    }

    @Test
    void balanceAndModelChecks_startTogether() {
        List<Long> balanceChecks = stats.leonardoMeTimestamps();
        List<Long> modelChecks = stats.openAiModelLookupTimestamps();
        assertFalse(balanceChecks.isEmpty(), "no balance check at startup");
        assertFalse(modelChecks.isEmpty(), "no model check at startup");
        long gapMillis = TimeUnit.NANOSECONDS.toMillis(Math.abs(modelChecks.get(0) - balanceChecks.get(0)));
        assertTrue(gapMillis < 2000, "the model check reached the emulator " + gapMillis
                + " ms after the balance check: the checks ran one after the other");
    }
}
