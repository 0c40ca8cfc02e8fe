package dev.imagerouter.provider.openai;

import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.RetryAfter;
import dev.imagerouter.vocabulary.FailureKind;

import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The only code that reads the OpenAI SDK's exceptions (shared/specs/openai/WIRE.md §2, §4.3):
 * <ul>
 *   <li>429 {@code insufficient_quota} → QUOTA_EXHAUSTED; other 429 → RATE_LIMITED</li>
 *   <li>400 {@code moderation_blocked} / {@code content_policy_violation} → CONTENT_REJECTED</li>
 *   <li>401/403 → AUTH_FAILED; 404 {@code model_not_found} (any 404) → MODEL_UNAVAILABLE</li>
 *   <li>other 4xx → INVALID_REQUEST; 5xx → SERVER_ERROR</li>
 *   <li>{@code OpenAIIoException} with a timeout cause → TIMEOUT, other IO → NETWORK; either is AMBIGUOUS
 *       (never retried) unless the connection itself failed (refused, connect timeout, unknown host)</li>
 *   <li>unreadable response data → MALFORMED_RESPONSE</li>
 * </ul>
 * Messages never include the key: the SDK masks it in 401 messages, and we drop the message for 401.
 */
public final class OpenAiFailureClassifier {

    private final Clock clock;

    public OpenAiFailureClassifier(Clock clock) {
        this.clock = clock;
    }

    /** Whether the request never left: the connection was refused or timed out, or the host did not resolve. */
    private static boolean neverSent(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.net.ConnectException || c instanceof java.net.UnknownHostException
                    || c instanceof java.nio.channels.UnresolvedAddressException) {
                return true;
            }
        }
        return false;
    }

    public ProviderFailure classify(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ProviderFailure pf) {
            return pf;
        }
        if (t instanceof OpenAIServiceException e) {
            int status = e.statusCode();
            String code = e.code().orElse("");
            Duration retryAfter = RetryAfter.parse(first(e.headers().values("retry-after-ms")),
                    first(e.headers().values("retry-after")), clock).orElse(null);
            FailureKind kind;
            if (e instanceof RateLimitException || status == 429) {
                kind = "insufficient_quota".equals(code) || "insufficient_quota".equals(e.type().orElse(""))
                        ? FailureKind.QUOTA_EXHAUSTED : FailureKind.RATE_LIMITED;
            } else if (e instanceof BadRequestException
                    && ("moderation_blocked".equals(code) || "content_policy_violation".equals(code))) {
                kind = FailureKind.CONTENT_REJECTED;
            } else if (e instanceof UnauthorizedException || e instanceof PermissionDeniedException || status == 401 || status == 403) {
                kind = FailureKind.AUTH_FAILED;
            } else if (e instanceof NotFoundException || status == 404) {
                kind = FailureKind.MODEL_UNAVAILABLE;
            } else if (e instanceof InternalServerException || status >= 500) {
                kind = FailureKind.SERVER_ERROR;
            } else {
                kind = FailureKind.INVALID_REQUEST;
            }
            String message = status == 401 ? "HTTP 401 (key rejected)" : "HTTP " + status + (code.isEmpty() ? "" : " " + code);
            return new ProviderFailure(kind, message, status, retryAfter, null);
        }
        if (t instanceof OpenAIIoException) {
            boolean timeout = false;
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof InterruptedIOException || c instanceof SocketTimeoutException || c instanceof TimeoutException) {
                    timeout = true;
                }
                if (c.getCause() == c) {
                    break;
                }
            }
            Throwable root = t.getCause() == null ? t : t.getCause();
            ProviderFailure failure = new ProviderFailure(timeout ? FailureKind.TIMEOUT : FailureKind.NETWORK,
                    (timeout ? "timed out: " : "network error: ") + root.getClass().getSimpleName(), null, null, null);
            // sent without an answer: OpenAI may have made (and billed) the image, so never retried
            return neverSent(t) ? failure : failure.ambiguous();
        }
        if (t instanceof TimeoutException) {
            return new ProviderFailure(FailureKind.TIMEOUT, "no answer within the timeout");
        }
        if (t instanceof OpenAIInvalidDataException) {
            return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "unreadable response: " + t.getClass().getSimpleName(), 200);
        }
        return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "unexpected error: " + t.getClass().getSimpleName(), null, null, t);
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
