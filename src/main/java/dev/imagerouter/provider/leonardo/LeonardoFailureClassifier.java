package dev.imagerouter.provider.leonardo;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.RetryAfter;
import dev.imagerouter.vocabulary.FailureKind;
import io.micronaut.http.client.exceptions.HttpClientException;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.exceptions.ReadTimeoutException;
import io.micronaut.json.JsonMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * The only code that reads Leonardo's raw statuses, bodies and client exceptions. Error bodies
 * are Hasura's envelope {@code {"error","path","code"}} (shared/specs/leonardo/WIRE.md §6; v2 answers, whose
 * shape is unconfirmed, may also carry {@code message} or {@code errors[0].message}, UPDATES-2026.md §7):
 * <ul>
 *   <li>401 {@code access-denied} → AUTH_FAILED (also 403 without a moderation message)</li>
 *   <li>"not enough api tokens …" (any status) → QUOTA_EXHAUSTED</li>
 *   <li>"content moderation filter" / "inappropriate content" on 400 or 403 → CONTENT_REJECTED</li>
 *   <li>"… is not supported within the Production API" → MODEL_UNAVAILABLE</li>
 *   <li>429 (no body documented) → RATE_LIMITED; 5xx → SERVER_ERROR; other 4xx → INVALID_REQUEST</li>
 *   <li>read timeout → TIMEOUT; connect refused, reset, DNS → NETWORK</li>
 * </ul>
 * Thread-safe.
 */
public final class LeonardoFailureClassifier {

    private final JsonMapper json;
    private final Clock clock;

    public LeonardoFailureClassifier(JsonMapper json, Clock clock) {
        this.json = json;
        this.clock = clock;
    }

    /** Classifies a non-2xx answer. */
    public ProviderFailure classify(int status, String body, String retryAfterHeader) {
        String message = errorMessage(body);
        String lower = message.toLowerCase(Locale.ROOT);
        Duration retryAfter = RetryAfter.parse(retryAfterHeader, clock).orElse(null);
        FailureKind kind;
        if (lower.contains("not enough api tokens")) {
            kind = FailureKind.QUOTA_EXHAUSTED;
        } else if ((status == 400 || status == 403)
                && (lower.contains("content moderation filter") || lower.contains("inappropriate content"))) {
            kind = FailureKind.CONTENT_REJECTED;
        } else if (lower.contains("is not supported within the production api")) {
            kind = FailureKind.MODEL_UNAVAILABLE;
        } else if (status == 401 || status == 403) {
            kind = FailureKind.AUTH_FAILED;
        } else if (status == 429) {
            kind = FailureKind.RATE_LIMITED;
        } else if (status >= 500) {
            kind = FailureKind.SERVER_ERROR;
        } else {
            kind = FailureKind.INVALID_REQUEST;
        }
        String text = message.isEmpty() ? "HTTP " + status : "HTTP " + status + ": " + truncate(message);
        return new ProviderFailure(kind, text, status, retryAfter, null);
    }

    /** Classifies an exception from the HTTP client or the time limiter. */
    public ProviderFailure classify(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof ProviderFailure pf) {
            return pf;
        }
        if (t instanceof HttpClientResponseException e) {
            String body = e.getResponse().getBody(String.class).orElse("");
            return classify(e.getStatus().getCode(), body, e.getResponse().getHeaders().get("Retry-After"));
        }
        if (t instanceof ReadTimeoutException || t instanceof TimeoutException) {
            return new ProviderFailure(FailureKind.TIMEOUT, "no answer within the timeout", null, null, null);
        }
        if (t instanceof HttpClientException || t instanceof IOException) {
            Throwable root = rootCause(t);
            if (root instanceof TimeoutException || root.getClass().getSimpleName().contains("Timeout")) {
                return new ProviderFailure(FailureKind.TIMEOUT, "timed out: " + root.getClass().getSimpleName(), null, null, null);
            }
            if (root instanceof ConnectException || root instanceof UnknownHostException
                    || root instanceof ClosedChannelException || root instanceof IOException || t instanceof HttpClientException) {
                return new ProviderFailure(FailureKind.NETWORK, "network error: " + root.getClass().getSimpleName()
                        + (root.getMessage() == null ? "" : ": " + truncate(root.getMessage())), null, null, null);
            }
        }
        return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "unexpected error: " + t.getClass().getSimpleName(), null, null, t);
    }

    /**
     * Whether a failed call may have reached Leonardo and been acted on although no answer came back:
     * true for read timeouts and connections reset or closed after the request was written; false
     * for an error answer (Leonardo said no), a refused or timed-out connect and an unknown host (the
     * request never left).
     */
    public boolean sentWithoutAnswer(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof ProviderFailure || t instanceof HttpClientResponseException) {
            return false;
        }
        Throwable root = rootCause(t);
        return !(root instanceof ConnectException || root instanceof UnknownHostException
                || root instanceof java.nio.channels.UnresolvedAddressException);
    }

    private String errorMessage(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            LeonardoWire.Error error = json.readValue(body, LeonardoWire.Error.class);
            if (error != null && error.error() != null) {
                return error.error();
            }
            // v2 error bodies are unconfirmed (UPDATES-2026.md §7.1): also read a top-level "message" and a
            // GraphQL-style "errors":[{"message"}], so that either shape is classified by its text
            if (error != null && error.message() != null) {
                return error.message();
            }
            if (error != null && error.errors() != null && !error.errors().isEmpty() && error.errors().get(0) != null
                    && error.errors().get(0).message() != null) {
                return error.errors().get(0).message();
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through: a non-JSON body (for example an HTML 503)
        }
        return body.strip();
    }

    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof java.util.concurrent.ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable current = t;
        while (current.getCause() != null && current.getCause() != current) {
            current = current.getCause();
        }
        return current;
    }

    private static String truncate(String s) {
        String oneLine = s.replaceAll("\\s+", " ");
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "…" : oneLine;
    }
}
