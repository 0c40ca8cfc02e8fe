package dev.imagerouter.callbacks;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of one delivery of a {@link Callback}, as a {@link DeliveryListener} hears it.
 *
 * @param attempt       the delivery's number for this message, counting deliveries before a restart
 *                      ({@code previousAttempts + 1} for the first one of a {@link CallbackSender#send} call). A give-up
 *                      decided before any request was sent (URL refused, max-age already past, backlog full, sender
 *                      closed) carries the number that delivery would have had, with no {@code httpStatus}
 * @param at            when the delivery started (its {@code webhook-timestamp}), or when the give-up was decided
 * @param httpStatus    the receiver's status code, when it answered (2xx, 410, a redirect, an error, ...)
 * @param error         why it failed, when it did: a status ("HTTP 500", "redirect not followed (HTTP 302)"), a
 *                      network error or timeout ("ConnectException", "no answer within PT10S"), or a refusal. Never
 *                      the body, the signature or the secret
 * @param outcome       DELIVERED (2xx), RETRYING (another delivery is scheduled) or GAVE_UP (no further delivery)
 * @param nextAttemptAt when the next delivery is scheduled: present exactly when {@code outcome} is RETRYING
 */
public record Delivery(int attempt, Instant at, Optional<Integer> httpStatus, Optional<String> error, Outcome outcome,
                       Optional<Instant> nextAttemptAt) {

    /** The outcome of a delivery; tag values of {@code image_router_callback_deliveries} are {@link #wire()}. */
    public enum Outcome {
        /** The receiver answered 2xx: done. */
        DELIVERED,
        /** It failed and another delivery is scheduled at {@link Delivery#nextAttemptAt()}. */
        RETRYING,
        /** There will be no other delivery: 410 Gone, max-age reached, the destination refused, or the backlog full. */
        GAVE_UP;

        /** The metric tag value: {@code delivered}, {@code retrying}, {@code gave_up}. */
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Delivery {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(httpStatus, "httpStatus");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
        if (nextAttemptAt.isPresent() != (outcome == Outcome.RETRYING)) {
            throw new IllegalArgumentException("nextAttemptAt must be present exactly when the outcome is RETRYING");
        }
    }
}
