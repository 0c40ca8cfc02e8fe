package dev.imagerouter.credits;

import dev.imagerouter.sandbox.SandboxState;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One Leonardo key, two provider files (Phoenix on v1, FLUX.2 Pro on v2): the balance both watch is
 * the account's, so a cost paid through FLUX lowers Phoenix's balance too, without waiting for
 * Phoenix's next GET /me.
 */
@MicronautTest
class AccountBalanceHttpTest extends SandboxHttpTest {

    private static final String PHOENIX = "leonardo-phoenix";
    private static final String FLUX = "leonardo-flux-pro-2";

    @Inject
    CreditMonitor credits;
    @Inject
    SandboxState sandbox;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.chain", PHOENIX + "," + FLUX + ",openai-gpt-image-2");
        p.put("router.providers." + FLUX + ".enabled", "true");
        p.put("router.sandbox.flat-images", "true");
    }

    @Test
    void aCostPaidThroughOneFile_lowersTheBalanceOfEveryFileOnTheAccount() {
        sandbox.setLeonardoBalance(new BigDecimal("5000"));
        credits.checkNow().join();
        assertEquals(0, new BigDecimal("5000").compareTo(credits.balance(PHOENIX).orElseThrow()));
        assertEquals(0, new BigDecimal("5000").compareTo(credits.balance(FLUX).orElseThrow()));

        ApiClient.Response r = api.generate("{\"prompt\":\"account balance " + UUID.randomUUID() + "\"}",
                "X-Sandbox-Fault", PHOENIX + "=429");
        assertEquals(200, r.status(), r.text());
        assertEquals(FLUX, r.router().get("provider"), r.text());

        BigDecimal account = sandbox.leonardoBalance();
        assertTrue(account.compareTo(new BigDecimal("5000")) < 0, "the FLUX job was charged: " + account);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertEquals(0, account.compareTo(credits.balance(FLUX).orElseThrow()), "the payer's balance");
            assertEquals(0, account.compareTo(credits.balance(PHOENIX).orElseThrow()),
                    "Phoenix watches the same account: lowered by FLUX's cost without a check");
        });
    }
}
