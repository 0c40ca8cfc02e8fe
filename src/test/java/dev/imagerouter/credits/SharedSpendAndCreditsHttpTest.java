package dev.imagerouter.credits;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Today's spend and the credit balance shared through a real Redis (REDIS_URI): what other replicas
 * spent (written into Redis as their scripts do) counts against this one's daily budget, this one's
 * settlements land in Redis and in the journal, an empty Redis is seeded from the journal, and the
 * credit balance is checked by one replica and read by the others. Leonardo's budget is 20 credits
 * (the emulator charges 8 a generation).
 */
@MicronautTest
class SharedSpendAndCreditsHttpTest extends SandboxHttpTest {

    private static final RedisServer REDIS = RedisServer.forTestClass();
    private static final String PREFIX = "spend-test:";
    private static final String FIELD = "leonardo-phoenix\tCREDITS";

    @Inject
    CreditMonitor credits;

    @AfterAll
    static void stopRedis() throws Exception {
        REDIS.close();
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("redis.uri", REDIS.uri());
        p.put("router.redis.key-prefix", PREFIX);
        p.put("router.providers.leonardo-phoenix.daily-budget-credits", "20");
    }

    private static String hget(String key, String field) {
        return REDIS.<String>with(r -> r.hget(key, field));
    }

    private static String settledKey() {
        return PREFIX + "spend:" + LocalDate.now(ZoneOffset.UTC) + ":settled";
    }

    @BeforeEach
    void emptyRedis() {
        REDIS.with(r -> r.flushall());
        await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/health/readiness").text().contains("\"state\":\"up\""));
    }

    private ApiClient.Response generate(String what) {
        return api.generate("{\"prompt\":\"" + prompt(what) + "\"}");
    }

    @Test
    void spendOfOtherReplicas_reachesTheBudgetHere_andThisReplicasSpendLandsInRedisAndTheJournal() throws Exception {
        REDIS.with(r -> r.hset(settledKey(), Map.of("seeded", "1", FIELD, "20")));
        ApiClient.Response skipped = generate("over the shared budget");
        assertEquals("openai-gpt-image-2", skipped.router().get("provider"), skipped.text());
        assertEquals("BUDGET", skipped.attempts().get(0).get("reason"));

        REDIS.with(r -> r.hset(settledKey(), FIELD, "4"));
        ApiClient.Response paid = generate("under the shared budget");
        assertEquals("leonardo-phoenix", paid.router().get("provider"), paid.text());
        await().atMost(Duration.ofSeconds(5)).until(() -> new BigDecimal(hget(settledKey(), FIELD))
                .compareTo(new BigDecimal("12")) == 0);
        Path journal = Path.of(property("router.storage.dir")).resolve("spend").resolve(LocalDate.now(ZoneOffset.UTC) + ".tsv");
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(journal)
                && Files.readString(journal).contains("leonardo-phoenix\tCREDITS\t8"));
        assertEquals(0L, REDIS.with(r -> r.keys(PREFIX + "spend:*:reserved:*")).stream()
                .mapToLong(k -> REDIS.with(r -> r.zcard(k))).sum(), "no reservation left once settled");
    }

    @Test
    void anEmptyRedis_isSeededFromTheSpendJournal_once() {
        ApiClient.Response first = generate("seeds the day");
        assertEquals("leonardo-phoenix", first.router().get("provider"), first.text());
        BigDecimal afterFirst = new BigDecimal(await().atMost(Duration.ofSeconds(5))
                .until(() -> hget(settledKey(), FIELD), v -> v != null));
        assertTrue(afterFirst.compareTo(new BigDecimal("8")) >= 0, afterFirst.toPlainString());

        REDIS.with(r -> r.flushall()); // Redis restarted without persistence
        ApiClient.Response second = generate("after the restart");
        assertEquals(200, second.status(), second.text());
        assertEquals("1", REDIS.with(r -> r.hget(settledKey(), "seeded")));
        // the journal held every settlement so far: the day's spend reached the 20-credit budget again
        BigDecimal seeded = new BigDecimal(await().atMost(Duration.ofSeconds(5))
                .until(() -> hget(settledKey(), FIELD), v -> v != null));
        assertTrue(seeded.compareTo(afterFirst) >= 0, seeded + " < " + afterFirst);
    }

    @Test
    void aBalanceCheckedByAnotherReplica_isReadHere_andOneCheckedHereIsPublished() {
        REDIS.with(r -> {
            r.set(PREFIX + "credits:leonardo-phoenix:check", "replica-other", io.lettuce.core.SetArgs.Builder.px(60_000));
            r.hset(PREFIX + "credits:leonardo-phoenix", Map.of("balance", "40", "checked_at", Long.toString(System.currentTimeMillis())));
            return null;
        });
        credits.checkNow("leonardo-phoenix").join();
        assertEquals(Optional.of(new BigDecimal("40")), credits.balance("leonardo-phoenix"));
        assertEquals(CreditLevel.SKIP, credits.level("leonardo-phoenix"), "below skip-below 50");
        ApiClient.Response skipped = generate("no credits left on the account");
        assertEquals("CREDITS", skipped.attempts().get(0).get("reason"), skipped.text());

        REDIS.with(r -> r.del(PREFIX + "credits:leonardo-phoenix:check", PREFIX + "credits:leonardo-phoenix"));
        credits.checkNow("leonardo-phoenix").join(); // no other replica holds the check: this one calls GET /me
        BigDecimal checked = credits.balance("leonardo-phoenix").orElseThrow();
        assertTrue(checked.compareTo(new BigDecimal("1000")) > 0, checked.toPlainString());
        assertEquals(0, new BigDecimal(hget(PREFIX + "credits:leonardo-phoenix", "balance")).compareTo(checked));
        // Leonardo's spend today back to 0 (the skipped request above seeded the journal of the tests before)
        REDIS.with(r -> r.hset(settledKey(), Map.of("seeded", "1", FIELD, "0")));
        ApiClient.Response paid = generate("lowers the shared balance");
        assertEquals("leonardo-phoenix", paid.router().get("provider"), paid.text());
        await().atMost(Duration.ofSeconds(5)).until(() -> new BigDecimal(hget(PREFIX + "credits:leonardo-phoenix", "balance")).compareTo(checked) < 0);
    }
}
