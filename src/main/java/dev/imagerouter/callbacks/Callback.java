package dev.imagerouter.callbacks;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One message to deliver: the same id, URL and body on every delivery until it is delivered or given up.
 *
 * @param messageId        the Standard Webhooks {@code webhook-id}, stable across retries and restarts so that the
 *                         receiver can drop duplicates, e.g. {@code msg_<job id>}: 1 to 256 visible ASCII characters
 *                         (U+0021..U+007E), no spaces
 * @param url              the destination; checked by {@link CallbackDestinations} before every delivery
 * @param body             the JSON payload, sent as is; must be valid UTF-8 (JSON always is, RFC 8259 §8.1): the
 *                         Standard Webhooks library signs text, so other bytes could not be signed faithfully. Copied
 *                         on construction; do not modify the array {@link #body()} returns
 * @param firstAttemptAt   when the first delivery of this message was (or is being) made, including deliveries
 *                         before a restart; {@code max-age} counts from here
 * @param previousAttempts deliveries already made before this {@link CallbackSender#send} call (0 for a new message):
 *                         the next delivery is number {@code previousAttempts + 1} and its backoff continues from there
 * @throws IllegalArgumentException when the id is malformed, the body is not UTF-8 or previousAttempts is negative
 * @throws NullPointerException     when a field is null
 */
public record Callback(String messageId, URI url, byte[] body, Instant firstAttemptAt, int previousAttempts) {

    private static final Pattern MESSAGE_ID = Pattern.compile("[\\x21-\\x7e]{1,256}");

    public Callback {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(firstAttemptAt, "firstAttemptAt");
        if (!MESSAGE_ID.matcher(messageId).matches()) {
            throw new IllegalArgumentException("messageId must be 1 to 256 visible ASCII characters without spaces");
        }
        if (previousAttempts < 0) {
            throw new IllegalArgumentException("previousAttempts must not be negative, but was " + previousAttempts);
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("body must be UTF-8 (JSON)", e);
        }
        body = body.clone();
    }

    /** A new message, first delivered now: {@code previousAttempts} 0. */
    public static Callback first(String messageId, URI url, byte[] body, Instant now) {
        return new Callback(messageId, url, body, now, 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Callback c && messageId.equals(c.messageId) && url.equals(c.url) && Arrays.equals(body, c.body)
                && firstAttemptAt.equals(c.firstAttemptAt) && previousAttempts == c.previousAttempts;
    }

    @Override
    public int hashCode() {
        return Objects.hash(messageId, url, Arrays.hashCode(body), firstAttemptAt, previousAttempts);
    }

    /** Never shows the body (it may hold prompts) nor the URL's path and query (they may hold tokens). */
    @Override
    public String toString() {
        return "Callback[messageId=" + messageId + ", url=" + url.getScheme() + "://" + url.getHost()
                + (url.getPort() < 0 ? "" : ":" + url.getPort()) + "/…, body="
                + body.length + " bytes, firstAttemptAt=" + firstAttemptAt + ", previousAttempts=" + previousAttempts + "]";
    }
}
