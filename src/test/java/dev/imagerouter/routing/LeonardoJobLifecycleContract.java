package dev.imagerouter.routing;

import dev.imagerouter.config.RouterRuntime;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A paid Leonardo job is never created twice and never abandoned (README "A generation's life"):
 * poll errors keep polling, a failed download is retried, an ambiguous create is not repeated, an
 * attempt that times out leaves its accepted job tracked to its end, the late image becomes the
 * cached result when none is, and the job's bulkhead slot is held until the job is terminal. Real
 * HTTP against the Leonardo and OpenAI emulators. The same rules hold for the v1 adapter (type
 * {@code leonardo}, {@link LeonardoJobLifecycleTest}) and the v2 one (type {@code leonardo-v2},
 * {@code LeonardoV2JobLifecycleTest}): each subclass runs every test on a chain of its Leonardo
 * provider and OpenAI. Faults target {@code leonardo}, which reaches v1 and v2 calls alike.
 */
abstract class LeonardoJobLifecycleContract extends SandboxHttpTest {

    protected static final String OPENAI = "openai-gpt-image-2";
    /** Every Leonardo file enabled in the repository: one account, so their shared limits must agree. */
    private static final java.util.List<String> ACCOUNT = java.util.List.of("leonardo-phoenix", "leonardo-flux-pro-2");

    /** The Leonardo provider under test, first in the chain. */
    protected final String subject;

    protected LeonardoJobLifecycleContract(String leonardo) {
        this.subject = leonardo;
    }

    @Inject
    RouterRuntime runtime;
    @Inject
    dev.imagerouter.credits.DailyBudgets budgets;

    @Override
    protected void properties(Map<String, String> p) {
        String leonardo = "router.providers." + subject + ".";
        p.put("router.chain", subject + "," + OPENAI);
        p.put(leonardo + "enabled", "true");
        p.put(leonardo + "timeout", "1500ms");
        p.put(leonardo + "poll.initial-delay", "50ms");
        p.put(leonardo + "poll.max-delay", "100ms");
        p.put(leonardo + "poll.jitter", "0");
        p.put(leonardo + "daily-budget-credits", "100000000");
        // late jobs complete 3 s after their attempt timed out: room for the fallback's answer
        p.put("router.sandbox.late-after", "3s");
        // the account's bulkhead: every enabled file of the account must say the same
        ACCOUNT.forEach(name -> p.put("router.providers." + name + ".resilience.max-concurrent-calls", "2"));
        // keep the breaker out of it: every request must reach Leonardo
        p.put(leonardo + "resilience.minimum-calls", "10000");
        p.put(leonardo + "resilience.sliding-window-size", "10000");
    }

    @org.junit.jupiter.api.BeforeAll
    void warmUp() {
        // the first OpenAI SDK call of a JVM loads many classes; keep it out of the timed fallbacks
        ApiClient client = new ApiClient(server.getURL().toString(), json);
        client.generate("{\"prompt\":\"warm up " + java.util.UUID.randomUUID() + "\"}", "X-Sandbox-Fault", "leonardo=429");
        // and the first Leonardo job (create, polls, download, store): keep it out of the 1.5 s attempts below
        client.generate("{\"prompt\":\"warm up " + java.util.UUID.randomUUID() + "\"}");
        awaitNoJobs();
    }

    /** Accepted jobs the provider under test tracks now. */
    protected abstract int activeJobs();

    protected dev.imagerouter.provider.ImageProvider leonardo() {
        return runtime.chain().find(subject).orElseThrow().provider();
    }

    protected void awaitNoJobs() {
        await().atMost(Duration.ofSeconds(15)).until(() -> activeJobs() == 0);
    }

    private double paid(String provider, String used) {
        return api.prometheusSample("image_router_paid_generations_total", "provider", provider, "used", used);
    }

    @Test
    void pollErrors_keepPolling_oneCreate() {
        awaitNoJobs();
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("poll errors") + "\"}", "X-Sandbox-Fault", "leonardo=poll_500");

        assertEquals(200, r.status(), r.text());
        assertEquals(subject, r.router().get("provider"), "the job's own image, after four failed polls");
        assertEquals(1, stats.leonardoCreates(), "a poll error never creates the job again");
        assertTrue(stats.leonardoPolls() >= 5, "four 500 polls, then the one that saw COMPLETE: " + stats.leonardoPolls());
    }

    @Test
    void aFailedDownload_isRetried_neverANewJob() {
        awaitNoJobs();
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("download fails twice") + "\"}", "X-Sandbox-Fault", "leonardo=cdn_500");

        assertEquals(200, r.status(), r.text());
        assertEquals(subject, r.router().get("provider"), "the job's own image, downloaded on the third try");
        assertEquals(1, stats.leonardoCreates(), "a failed download never creates the job again");
        assertEquals(3, stats.leonardoCdnFetches(), "two failed fetches, then the image");
    }

    @Test
    void anAmbiguousCreate_isNotRepeated() {
        awaitNoJobs();
        // the create is sent and the connection reset without an answer: a job may exist, so it is not sent again
        // (the NETWORK row would retry a call that never reached Leonardo)
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("reset after send") + "\"}", "X-Sandbox-Fault", "leonardo=reset");

        assertEquals(200, r.status(), r.text());
        assertEquals(OPENAI, r.router().get("provider"), r.text());
        assertEquals("NETWORK", r.attempts().get(0).get("failure_kind"), r.text());
        assertEquals(1, stats.leonardoCreates(), "an ambiguous create is never repeated");
    }

    @Test
    void lateJob_afterFallback_isStoredUnused_andTheNextIdenticalRequestIsAHitWithoutASecondCreate() {
        awaitNoJobs();
        double unusedBefore = paid(subject, "false");
        java.math.BigDecimal spentBefore = budgets.spentToday(subject, "CREDITS");
        String body = "{\"prompt\":\"" + prompt("late with fallback") + "\"}";

        ApiClient.Response first = api.generate(body, "X-Sandbox-Fault", "leonardo=late");
        assertEquals(200, first.status(), first.text());
        assertEquals(OPENAI, first.router().get("provider"), "the attempt timed out and the chain fell back");
        assertEquals("TIMEOUT", first.attempts().get(0).get("failure_kind"));
        assertEquals(1, activeJobs(), "the accepted job is still tracked after the fallback answered");

        awaitNoJobs();
        // the job ends before its late images are stored and counted (on a storage worker)
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertEquals(unusedBefore + 1, paid(subject, "false"), "the late job was paid and its image not used"));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertTrue(budgets.spentToday(subject, "CREDITS").compareTo(spentBefore) > 0,
                    "a paid job whose attempt failed counts in today's spend");
            assertEquals(0, budgets.reservedToday(subject, "CREDITS").signum(), "its reservation was settled, not left hanging");
        });
        long polls = stats.leonardoPolls();

        ApiClient.Response again = api.generate(body);
        assertEquals(200, again.status(), again.text());
        assertEquals("HIT", again.header("X-Router-Cache"));
        assertEquals(OPENAI, again.router().get("provider"), "the fallback's image, which the caller got, stays cached");
        assertEquals(first.data().get(0).get("url"), again.data().get(0).get("url"));
        assertEquals(1, stats.leonardoCreates(), "one paid Leonardo job in all");
        assertEquals(polls, stats.leonardoPolls(), "nothing polls a finished job");
    }

    @Test
    void lateJob_afterAFailedChain_becomesTheCachedResult() {
        awaitNoJobs();
        double usedBefore = paid(subject, "true");
        String body = "{\"prompt\":\"" + prompt("late and chain failed") + "\"}";

        ApiClient.Response first = api.generate(body, "X-Sandbox-Fault", "leonardo=late,openai=400");
        assertTrue(first.status() >= 500, first.text());

        awaitNoJobs();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertEquals(usedBefore + 1, paid(subject, "true"), "the late image became the cached result"));
        ApiClient.Response again = api.generate(body);
        assertEquals(200, again.status(), again.text());
        assertEquals("HIT", again.header("X-Router-Cache"));
        assertEquals(subject, again.router().get("provider"), "served from the late Leonardo image");
        assertEquals(1, stats.leonardoCreates(), "no second create for the same request");
        assertEquals(200, api.get((String) again.data().get(0).get("url")).status(), "the late image is stored and served");
    }

    @Test
    void acceptedJobs_holdTheirBulkheadSlot_untilTheyEnd() {
        awaitNoJobs();
        // wave 1: two late jobs fill the two slots; their attempts time out and fall back
        List<CompletableFuture<ApiClient.Response>> wave1 = List.of(
                CompletableFuture.supplyAsync(() -> api.generate("{\"prompt\":\"" + prompt("wave one a") + "\"}", "X-Sandbox-Fault", "leonardo=late")),
                CompletableFuture.supplyAsync(() -> api.generate("{\"prompt\":\"" + prompt("wave one b") + "\"}", "X-Sandbox-Fault", "leonardo=late")));
        wave1.forEach(f -> assertEquals(OPENAI, f.join().router().get("provider"), f.join().text()));
        assertEquals(2, activeJobs(), "both jobs outlive their attempts: " + wave1.get(0).join().text());

        // wave 2, while those jobs still run: no slot is free, so Leonardo is skipped, not called
        ApiClient.Response second = api.generate("{\"prompt\":\"" + prompt("wave two") + "\"}", "X-Sandbox-Fault", "leonardo=late");
        assertEquals(200, second.status(), second.text());
        assertEquals("BULKHEAD_FULL", second.attempts().get(0).get("reason"), second.text());
        assertEquals(2, stats.leonardoCreates());

        awaitNoJobs();
        assertTrue(stats.leonardoMaxConcurrentJobs() <= 2, "Leonardo saw " + stats.leonardoMaxConcurrentJobs() + " jobs at once");

        // once the jobs ended, the slots are free again
        ApiClient.Response after = api.generate("{\"prompt\":\"" + prompt("after the jobs") + "\"}");
        assertEquals(subject, after.router().get("provider"), after.text());
    }
}
