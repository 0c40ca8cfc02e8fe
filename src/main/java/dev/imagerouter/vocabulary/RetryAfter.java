package dev.imagerouter.vocabulary;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Parses an HTTP {@code Retry-After} value (RFC 9110 §10.2.3): either delay-seconds
 * ({@code "2"}) or an HTTP-date ({@code "Wed, 21 Oct 2026 07:28:00 GMT"}). Also
 * {@code retry-after-ms}, which the OpenAI API may send.
 */
public final class RetryAfter {

    private RetryAfter() {
    }

    /** The delay the value asks for, never negative; empty when absent or unparsable. */
    public static Optional<Duration> parse(String value, Clock clock) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(clock.instant(), at.toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /** {@code retry-after-ms} first (milliseconds), then {@code retry-after}. */
    public static Optional<Duration> parse(String retryAfterMs, String retryAfter, Clock clock) {
        if (retryAfterMs != null && !retryAfterMs.isBlank()) {
            try {
                double ms = Double.parseDouble(retryAfterMs.trim());
                if (ms >= 0) {
                    return Optional.of(Duration.ofMillis((long) ms));
                }
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        return parse(retryAfter, clock);
    }
}
