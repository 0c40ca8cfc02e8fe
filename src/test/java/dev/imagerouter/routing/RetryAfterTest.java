package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.RetryAfter;
import dev.imagerouter.provider.leonardo.LeonardoFailureClassifier;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyAction;
import dev.imagerouter.policy.PolicyRule;
import io.micronaut.json.JsonMapper;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Issue #3: {@code Retry-After} in its seconds and HTTP-date forms, honoured and capped. */
class RetryAfterTest {

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void secondsForm() {
        assertEquals(Optional.of(Duration.ofSeconds(2)), RetryAfter.parse("2", clock));
    }

    @Test
    void httpDateForm_isTheTimeUntilThatDate() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), RetryAfter.parse("Mon, 23 Nov 2026 12:00:07 GMT", clock));
        assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Mon, 23 Nov 2026 11:00:00 GMT", clock));
    }

    @Test
    void garbage_isIgnored() {
        assertEquals(Optional.empty(), RetryAfter.parse("soon", clock));
        assertEquals(Optional.empty(), RetryAfter.parse("-3", clock));
        assertEquals(Optional.of(Duration.ofMillis(1500)), RetryAfter.parse("1500", "9", clock));
    }

    @Test
    void leonardo429WithHttpDate_isClassifiedWithItsRetryAfter() {
        LeonardoFailureClassifier classifier = new LeonardoFailureClassifier(JsonMapper.createDefault(), clock);
        ProviderFailure f = classifier.classify(429, "", "Mon, 23 Nov 2026 12:00:03 GMT");
        assertEquals(FailureKind.RATE_LIMITED, f.kind());
        assertEquals(Optional.of(Duration.ofSeconds(3)), f.retryAfter());
    }

    @Test
    void retryDelay_honoursRetryAfter_upToTheCap_elseTheBackoff() {
        PolicyRule rule = new PolicyRule(FailureKind.RATE_LIMITED, PolicyAction.RETRY, 1, Duration.ofMillis(100), 0,
                Duration.ofSeconds(3), false, false);
        assertEquals(Duration.ofSeconds(2), ProviderCall.delayFor(rule,
                new ProviderFailure(FailureKind.RATE_LIMITED, "429", 429, Duration.ofSeconds(2), null)));
        assertEquals(Duration.ofSeconds(3), ProviderCall.delayFor(rule,
                new ProviderFailure(FailureKind.RATE_LIMITED, "429", 429, Duration.ofSeconds(60), null)));
        assertEquals(Duration.ofMillis(100), ProviderCall.delayFor(rule, new ProviderFailure(FailureKind.RATE_LIMITED, "429", 429)));
    }
}
