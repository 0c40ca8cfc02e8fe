package dev.imagerouter.api;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.MutableClock;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.annotation.MockBean;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code Idempotency-Key} and the daily image allowance, over real HTTP against the sandbox
 * emulators: a refused key (invalid, or reused with another request) never uses any of the
 * client's allowance (20 images a day here). The clock stands at noon UTC, so no day ends mid-test.
 */
@MicronautTest
class IdempotencyKeyAllowanceHttpTest extends SandboxHttpTest {

    private static final String LIMITED = "Bearer limited-key-00000000003";
    private static final String REUSER = "Bearer reuser-key-000000000004";
    private static final int PER_DAY = 20;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T12:00:00Z"));

    @MockBean(Clock.class)
    Clock clock() {
        return clock;
    }

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.auth.api-keys", "limited:limited-key-00000000003,reuser:reuser-key-000000000004");
        p.put("router.auth.limits.images-per-day", Integer.toString(PER_DAY));
    }

    private static String body(int n) {
        return "{\"prompt\":\"a paper crane " + UUID.randomUUID() + "\",\"size\":\"256x256\",\"n\":" + n + "}";
    }

    @Test
    void invalidIdempotencyKeys_are400_andUseNoneOfTheDailyAllowance() {
        // six requests of 4 images: 24 images, more than the 20 a day, were any of it reserved
        for (String invalid : List.of("", "k".repeat(256), "k".repeat(1000), "", "x".repeat(256), "k".repeat(300))) {
            ApiClient.Response r = api.generate(body(4), "Authorization", LIMITED, "Idempotency-Key", invalid);
            assertEquals(400, r.status(), r.text());
            assertEquals("Idempotency-Key", r.error().get("param"));
            assertEquals("invalid_value", r.error().get("code"));
        }

        assertFullAllowanceLeft(LIMITED);
        assertEquals(1, stats.leonardoCreates(), "only the valid requests generated");
    }

    @Test
    void aReusedKey_is422_andGivesTheAllowanceBack() {
        String key = "reused-" + UUID.randomUUID();
        assertEquals(200, api.generate(body(1), "Authorization", REUSER, "Idempotency-Key", key).status());
        for (int i = 0; i < 5; i++) {
            ApiClient.Response r = api.generate(body(4), "Authorization", REUSER, "Idempotency-Key", key);
            assertEquals(422, r.status(), r.text());
            assertEquals("idempotency_key_reused", r.error().get("code"));
        }

        // 1 image used; 19 left, then the limit
        String rest = body(4);
        for (int i = 0; i < 4; i++) {
            assertEquals(200, api.generate(rest, "Authorization", REUSER).status());
        }
        assertEquals(200, api.generate(body(3), "Authorization", REUSER).status());
        assertEquals(429, api.generate(body(1), "Authorization", REUSER).status());
    }

    /** The client can make {@value #PER_DAY} images today, and not one more. */
    private void assertFullAllowanceLeft(String client) {
        String same = body(4);
        for (int i = 0; i < PER_DAY / 4; i++) {
            ApiClient.Response r = api.generate(same, "Authorization", client);
            assertEquals(200, r.status(), r.text());
        }
        ApiClient.Response over = api.generate(body(1), "Authorization", client);
        assertEquals(429, over.status(), over.text());
        assertEquals("daily_image_limit_exceeded", over.error().get("code"));
    }
}
