package dev.imagerouter.cache;

import dev.imagerouter.vocabulary.ImageRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Computes the request hash: the cache key and the name of the durable per-request record.
 *
 * <h2>Canonical form (version 1)</h2>
 * The hash is the lowercase hex SHA-256 (64 characters) of the UTF-8 bytes of one JSON object:
 * <ul>
 *   <li>keys: {@code prompt, negative_prompt, width, height, n, quality, style, seed,
 *       output_format}, plus {@code background} and {@code moderation} when not {@code auto} and
 *       {@code output_compression} when given (added for gpt-image-2 callers: a request without them
 *       hashes exactly as before, so earlier records stay valid and the version stays 1),
 *       plus {@code namespace} when the client's namespace is given, plus
 *       {@code "v":1}, the version of this canonical form: changing the form means bumping it, so
 *       every key changes and no old record is misread;</li>
 *   <li>keys sorted by code point, no whitespace anywhere;</li>
 *   <li>an absent optional value ({@code negative_prompt}, {@code style}, {@code seed},
 *       {@code namespace}) is omitted, never written as {@code null};</li>
 *   <li>strings exactly as the API layer normalised them (no trimming or case folding here);
 *       escaped as in RFC 8259 with the shortest form: {@code \"}, {@code \\}, {@code \b \f \n
 *       \r \t}, other control characters below U+0020 and unpaired surrogates as lowercase
 *       {@code \}{@code u00xx}; every other character, non-ASCII included, is written as itself;</li>
 *   <li>numbers as plain base-10 integers ({@code seed} is a {@code long}).</li>
 * </ul>
 * Never part of the key: the provider, the chain, the sandbox faults, the caller's
 * {@code user}/{@code safety_identifier}, {@code stream} and {@code partial_images}, so that a
 * result is shared whichever provider made it and however it is delivered.
 *
 * <p>Example: {@code prompt "a \"red\" fox"}, 1536x864, n=1, quality {@code auto}, seed 42,
 * {@code png}, no negative prompt, no style, namespace {@code acme} gives
 * <pre>{@code
 * {"height":864,"n":1,"namespace":"acme","output_format":"png","prompt":"a \"red\" fox","quality":"auto","seed":42,"v":1,"width":1536}
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class RequestHasher {

    /** The version of the canonical form, written as {@code "v"}. */
    public static final int CANONICAL_VERSION = 1;

    private static final HexFormat HEX = HexFormat.of();

    /**
     * The request hash of {@code request} within {@code namespace}.
     *
     * @param request   the normalised request, not null
     * @param namespace the client's namespace when cache isolation is on, else empty; not null
     * @return 64 lowercase hex characters
     */
    public String hash(ImageRequest request, Optional<String> namespace) {
        byte[] canonical = canonicalJson(request, namespace).getBytes(StandardCharsets.UTF_8);
        return HEX.formatHex(sha256(canonical));
    }

    /**
     * The canonical JSON (see the class comment) that {@link #hash} digests. Exposed for logs and
     * tests; callers must not parse it or depend on it beyond the documented form.
     */
    public String canonicalJson(ImageRequest request, Optional<String> namespace) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(namespace, "namespace (use Optional.empty())");
        Map<String, Object> fields = new TreeMap<>(); // String order is code-point order for these ASCII keys
        fields.put("v", CANONICAL_VERSION);
        fields.put("prompt", request.prompt());
        request.negativePrompt().ifPresent(value -> fields.put("negative_prompt", value));
        fields.put("width", request.width());
        fields.put("height", request.height());
        fields.put("n", request.n());
        fields.put("quality", request.quality());
        request.style().ifPresent(value -> fields.put("style", value));
        request.seed().ifPresent(value -> fields.put("seed", value));
        fields.put("output_format", request.outputFormat());
        if (!ImageRequest.BACKGROUND_AUTO.equals(request.background())) {
            fields.put("background", request.background());
        }
        if (!ImageRequest.MODERATION_AUTO.equals(request.moderation())) {
            fields.put("moderation", request.moderation());
        }
        request.outputCompression().ifPresent(value -> fields.put("output_compression", value));
        namespace.ifPresent(value -> fields.put("namespace", value));

        StringBuilder json = new StringBuilder(128 + request.prompt().length());
        json.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            appendString(json, field.getKey());
            json.append(':');
            Object value = field.getValue();
            if (value instanceof String text) {
                appendString(json, text);
            } else if (value instanceof Integer || value instanceof Long) {
                json.append(value); // plain base-10, no exponent, no fraction
            } else {
                // Only the fields above are written; a null here would be a bug in ImageRequest.
                throw new IllegalStateException("field " + field.getKey() + " has no canonical form: " + value);
            }
        }
        return json.append('}').toString();
    }

    /** Appends {@code text} as a JSON string in the shortest RFC 8259 escaping (see the class comment). */
    private static void appendString(StringBuilder json, String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\b' -> json.append("\\b");
                case '\f' -> json.append("\\f");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        appendUnicodeEscape(json, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                            && Character.isLowSurrogate(text.charAt(i + 1))) {
                        json.append(c).append(text.charAt(++i)); // a valid pair: one code point, written as itself
                    } else if (Character.isSurrogate(c)) {
                        // UTF-8 cannot encode an unpaired surrogate (getBytes would turn it into '?',
                        // colliding with a real '?'), so escape it to keep the form injective.
                        appendUnicodeEscape(json, c);
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    private static void appendUnicodeEscape(StringBuilder json, char c) {
        json.append("\\u").append(HEX.toHexDigits(c));
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
