package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyTable;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Issue #3: one row per (provider, failure kind) of the default policy table, each produced by the
 * emulators with the exact statuses and bodies of the wire references, asserting the action taken,
 * the calls each emulator saw, what the client got, and the metric increments.
 */
@MicronautTest
class PolicyTableRowsTest extends SandboxHttpTest {

    private static final String LEONARDO = "leonardo-phoenix";
    private static final String OPENAI = "openai-gpt-image-2";

    @Inject
    MeterRegistry meters;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.providers.openai-gpt-image-2.timeout", "2s");
        // keep the breakers out of this test: every row must reach its provider
        p.put("router.providers.leonardo-phoenix.resilience.minimum-calls", "10000");
        p.put("router.providers.leonardo-phoenix.resilience.sliding-window-size", "10000");
        p.put("router.providers.openai-gpt-image-2.resilience.minimum-calls", "10000");
        p.put("router.providers.openai-gpt-image-2.resilience.sliding-window-size", "10000");
        // and the Retry-After cooldown: OpenAI's 429 carries retry-after: 1
        p.put("router.policy.RATE_LIMITED.retry-after-cap", "0ms");
    }

    @org.junit.jupiter.api.BeforeAll
    void warmUp() {
        // The first OpenAI SDK call of a JVM loads a lot of classes; keep that out of the 2 s timeout rows.
        new ApiClient(server.getURL().toString(), json).generate("{\"prompt\":\"warm up " + UUID.randomUUID() + "\"}",
                "X-Sandbox-Fault", "leonardo=429");
    }

    /**
     * provider, faults, kind, action, Leonardo creates, OpenAI calls, client status, client code (or serving provider).
     * OpenAI rows first make Leonardo fail with INVALID_REQUEST (one create, fall back).
     */
    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of(LEONARDO, "leonardo=429", FailureKind.RATE_LIMITED, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=500", FailureKind.SERVER_ERROR, "RETRY", 2, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=503", FailureKind.SERVER_ERROR, "RETRY", 2, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=timeout", FailureKind.TIMEOUT, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=failed", FailureKind.GENERATION_FAILED, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=moderation", FailureKind.CONTENT_REJECTED, "FAIL", 1, 0, 400, "content_policy_violation"),
                Arguments.of(LEONARDO, "leonardo=quota", FailureKind.QUOTA_EXHAUSTED, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=auth", FailureKind.AUTH_FAILED, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=model", FailureKind.MODEL_UNAVAILABLE, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=bad_request", FailureKind.INVALID_REQUEST, "FALLBACK", 1, 1, 200, OPENAI),
                // a create reset after it was sent may have made a paid job: not retried although the row says RETRY
                Arguments.of(LEONARDO, "leonardo=reset", FailureKind.NETWORK, "FALLBACK", 1, 1, 200, OPENAI),
                // an accepted job whose polls answer garbage: poll errors only delay the next poll, so the
                // attempt's time runs out (the job is tracked on) and the TIMEOUT row falls back
                Arguments.of(LEONARDO, "leonardo=malformed", FailureKind.TIMEOUT, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(LEONARDO, "leonardo=noimages", FailureKind.MALFORMED_RESPONSE, "FALLBACK", 1, 1, 200, OPENAI),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=429", FailureKind.RATE_LIMITED, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=insufficient_quota", FailureKind.QUOTA_EXHAUSTED, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=moderation_blocked", FailureKind.CONTENT_REJECTED, "FAIL", 1, 1, 400, "content_policy_violation"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=content_policy_violation", FailureKind.CONTENT_REJECTED, "FAIL", 1, 1, 400, "content_policy_violation"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=auth", FailureKind.AUTH_FAILED, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=forbidden", FailureKind.AUTH_FAILED, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=model_not_found", FailureKind.MODEL_UNAVAILABLE, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=500", FailureKind.SERVER_ERROR, "RETRY", 1, 2, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=503", FailureKind.SERVER_ERROR, "RETRY", 1, 2, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=timeout", FailureKind.TIMEOUT, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                // a reset after the request was sent may have made a billed image: not retried although the row says RETRY
                Arguments.of(OPENAI, "leonardo=bad_request,openai=reset", FailureKind.NETWORK, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=malformed", FailureKind.MALFORMED_RESPONSE, "FALLBACK", 1, 1, 502, "all_providers_failed"),
                Arguments.of(OPENAI, "leonardo=bad_request,openai=bad_request", FailureKind.INVALID_REQUEST, "FALLBACK", 1, 1, 502, "all_providers_failed"));
    }

    @ParameterizedTest(name = "{0} {2} ({1}) → {3}")
    @MethodSource("rows")
    void providerFailure_takesThePolicyAction(String provider, String faults, FailureKind kind, String action,
                                              int leonardoCreates, int openAiCalls, int status, String codeOrProvider) {
        double attemptsBefore = count(MetricNames.PROVIDER_ATTEMPTS, "provider", provider, "outcome", "failure", "failure_kind", kind.name());
        boolean last = provider.equals(OPENAI); // the last provider of the chain
        double toOpenAiBefore = count(MetricNames.FALLBACKS, "from", provider, "to", OPENAI, "failure_kind", kind.name());
        double toNoneBefore = count(MetricNames.FALLBACKS, "from", provider, "to", "none", "failure_kind", kind.name());

        ApiClient.Response r = api.generate("{\"prompt\":\"policy row " + UUID.randomUUID() + "\"}", "X-Sandbox-Fault", faults);

        // the client's answer
        assertEquals(status, r.status(), r.text());
        if (status == 200) {
            assertEquals(codeOrProvider, r.router().get("provider"));
        } else {
            assertEquals(codeOrProvider, r.error().get("code"));
            assertNotNull(r.router().get("attempts"), "the error carries the attempts trail");
        }
        // the calls each emulator saw
        assertEquals(leonardoCreates, stats.leonardoCreates(), "Leonardo creates");
        assertEquals(openAiCalls, stats.openAiGenerates(), "OpenAI generate calls");
        // the trail records the failure kind once per call at the failing provider
        List<Map<String, Object>> trail = r.attempts() != null ? r.attempts() : List.of();
        long failuresOfKind = trail.stream().filter(a -> provider.equals(a.get("provider")) && kind.name().equals(a.get("failure_kind"))).count();
        int callsAtProvider = provider.equals(LEONARDO) ? leonardoCreates : openAiCalls;
        assertEquals(callsAtProvider, failuresOfKind, "trail: " + trail);
        // the metrics
        assertEquals(callsAtProvider, count(MetricNames.PROVIDER_ATTEMPTS, "provider", provider, "outcome", "failure",
                "failure_kind", kind.name()) - attemptsBefore, "attempt metric increments");
        // a FAIL ends the request at the provider ("to none"); any other action moves on to the next provider,
        // which after OpenAI, the last one, is also "none" (the chain is exhausted)
        boolean fails = action.equals("FAIL");
        double toOpenAi = count(MetricNames.FALLBACKS, "from", provider, "to", OPENAI, "failure_kind", kind.name()) - toOpenAiBefore;
        double toNone = count(MetricNames.FALLBACKS, "from", provider, "to", "none", "failure_kind", kind.name()) - toNoneBefore;
        assertEquals(fails || last ? 1 : 0, toNone, "fallback-to-none metric increments");
        if (!last) {
            assertEquals(fails ? 0 : 1, toOpenAi, "fallback-to-OpenAI metric increments");
        }
    }

    @Test
    void everyFailureKindOfTheTable_hasARowInThisTest_andInTheConfiguredTable() {
        Set<FailureKind> covered = rows().map(a -> (FailureKind) a.get()[2]).collect(Collectors.toCollection(() -> EnumSet.noneOf(FailureKind.class)));
        assertEquals(EnumSet.copyOf(PolicyTable.REQUIRED_KINDS), covered,
                "a failure kind was added without a policy-table row in this test");
    }

    @Test
    void everyProviderRateLimited_answers429WithRetryAfter() {
        ApiClient.Response r = api.generate("{\"prompt\":\"rate limited everywhere " + UUID.randomUUID() + "\"}",
                "X-Sandbox-Fault", "leonardo=429,openai=429");

        assertEquals(429, r.status(), r.text());
        assertEquals("rate_limit_exceeded", r.error().get("code"));
        assertNotNull(r.header("Retry-After"));
        assertEquals(1, stats.leonardoCreates());
        assertEquals(1, stats.openAiGenerates());
    }

    private double count(String name, String... tags) {
        Counter c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }
}
