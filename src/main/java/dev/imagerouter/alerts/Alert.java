package dev.imagerouter.alerts;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One operator alert.
 *
 * @param alert     what happened, upper snake case: {@code CREDITS_WARN}, {@code CREDITS_CRITICAL},
 *                  {@code CREDITS_SKIP}, {@code BUDGET_EXCEEDED}, {@code MODEL_UNAVAILABLE},
 *                  {@code MODEL_SHUTDOWN_SOON}, or a failure kind
 *                  whose policy row has {@code alert: true} ({@code QUOTA_EXHAUSTED}, {@code AUTH_FAILED}, ...)
 * @param severity  how urgent
 * @param status    firing or resolved
 * @param provider  the provider instance it concerns
 * @param value     the observed value (a credit balance, a spend in USD), if the alert has one
 * @param threshold the configured limit it crossed, if the alert has one
 * @param message   one human-readable line; never a key, an Authorization header or a prompt
 */
public record Alert(String alert, Severity severity, Status status, String provider, Optional<BigDecimal> value,
                    Optional<BigDecimal> threshold, String message) {

    public enum Severity {
        WARNING, CRITICAL;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Status {
        FIRING, RESOLVED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Alert {
        Objects.requireNonNull(alert, "alert");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(message, "message");
        value = value == null ? Optional.empty() : value;
        threshold = threshold == null ? Optional.empty() : threshold;
    }

    /** A firing alert. */
    public static Alert firing(String alert, Severity severity, String provider, BigDecimal value, BigDecimal threshold,
                               String message) {
        return new Alert(alert, severity, Status.FIRING, provider, Optional.ofNullable(value), Optional.ofNullable(threshold),
                message);
    }

    /** The resolution of an alert that fired earlier. */
    public static Alert resolved(String alert, Severity severity, String provider, BigDecimal value, BigDecimal threshold,
                                 String message) {
        return new Alert(alert, severity, Status.RESOLVED, provider, Optional.ofNullable(value), Optional.ofNullable(threshold),
                message);
    }

    /** The Slack-compatible one-liner: {@code [FIRING warning] CREDITS_WARN leonardo-phoenix: message}. */
    public String text() {
        return "[" + status.name() + " " + severity.wireName() + "] " + alert + " " + provider + ": " + message;
    }
}
