package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.vocabulary.Secret;

import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/*
 * The host rule is the one of router.storage.download.allowed-hosts (provider.DownloadSettings); both
 * match names with vocabulary.HostPatterns: an exact name allows http and any port, a "*.suffix"
 * entry allows https on port 443 only and matches proper subdomains only. Messages name this key.
 */
/**
 * Outbound job callbacks ({@code router.callbacks.*}): where the router may POST a finished job,
 * the secret it signs them with (Standard Webhooks), and how long it keeps trying.
 *
 * @param allowedHosts   host names a callback URL may name ({@code router.callbacks.allowed-hosts}, default empty;
 *                       environment {@code ROUTER_CALLBACKS_ALLOWED_HOSTS}, comma-separated), compared
 *                       case-insensitively and stored lowercased. An exact entry ({@code hooks.example.com},
 *                       {@code 127.0.0.1}, {@code [::1]}) allows {@code http} or {@code https} on any port; a wildcard
 *                       entry {@code *.example.com} matches every proper subdomain ({@code a.example.com},
 *                       {@code a.b.example.com}, not {@code example.com}) and allows {@code https} on port 443 only.
 *                       Empty: no host is allowed (in sandbox mode loopback still is, see {@code CallbackDestinations})
 * @param secret         the signing secret, {@code whsec_<base64 of 24..64 bytes>}, from the environment variable
 *                       {@value #SECRET_ENV} only (never from a file); in sandbox mode without one,
 *                       {@link #SANDBOX_SECRET}; empty (live mode without the variable): every callback is refused
 * @param initialBackoff delay after the first failed delivery ({@code initial-backoff}, default 5 s), doubled after
 *                       each further failure
 * @param maxBackoff     the longest delay between two deliveries ({@code max-backoff}, default 2 h), at least
 *                       {@code initialBackoff}
 * @param maxAge         how long after the first delivery retries go on ({@code max-age}, default 24 h): no delivery
 *                       starts later than the first one plus this
 * @param timeout        one delivery's deadline, connect included ({@code timeout}, default 10 s)
 * @throws IllegalArgumentException naming the key, when an allowed-hosts entry is not a host name or a
 *                                  duration is not positive or max-backoff is below initial-backoff
 */
public record CallbackSettings(Set<String> allowedHosts, Optional<Secret> secret, Duration initialBackoff,
                               Duration maxBackoff, Duration maxAge, Duration timeout) {

    /** The environment variable that holds the signing secret. */
    public static final String SECRET_ENV = "ROUTER_CALLBACK_SECRET";
    /** The Standard Webhooks secret prefix ({@code whsec_}, then the key in standard base64). */
    public static final String SECRET_PREFIX = "whsec_";
    /** Shortest signing key, in bytes: the Standard Webhooks spec asks for 24 to 64 random bytes. */
    public static final int MIN_SECRET_BYTES = 24;
    /** Longest signing key, in bytes (Standard Webhooks spec). */
    public static final int MAX_SECRET_BYTES = 64;
    /**
     * The signing secret of sandbox mode when {@value #SECRET_ENV} is not set: the base64 of the 32 ASCII bytes
     * {@code "image-router sandbox callbacks!!"}. It is public (it is written here and in the README), so a
     * signature made with it proves nothing: it exists only so that demos and tests against a sandboxed router
     * can verify callbacks. Never used in live mode.
     */
    public static final String SANDBOX_SECRET = "whsec_aW1hZ2Utcm91dGVyIHNhbmRib3ggY2FsbGJhY2tzISE=";

    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(5);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofHours(2);
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(24);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public CallbackSettings {
        allowedHosts = normaliseHosts(Objects.requireNonNull(allowedHosts,
                "router.callbacks.allowed-hosts must not be null (use an empty list)"));
        Objects.requireNonNull(secret, "secret must not be null (use Optional.empty())");
        requirePositive("initial-backoff", initialBackoff);
        requirePositive("max-backoff", maxBackoff);
        requirePositive("max-age", maxAge);
        requirePositive("timeout", timeout);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("router.callbacks.max-backoff must be at least initial-backoff ("
                    + initialBackoff + "), but was " + maxBackoff);
        }
    }

    /** No allowed host, no secret, default timings: every callback is refused. */
    public static CallbackSettings defaults() {
        return new CallbackSettings(Set.of(), Optional.empty(), DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF,
                DEFAULT_MAX_AGE, DEFAULT_TIMEOUT);
    }

    /**
     * Reads {@code router.callbacks}; problems go to the node's error list, and a problem with the secret names
     * {@value #SECRET_ENV} but never shows its value.
     *
     * @param node       the {@code router.callbacks} node
     * @param sandbox    whether the router runs in sandbox mode (then a missing secret is {@link #SANDBOX_SECRET})
     * @param secretText the value of {@value #SECRET_ENV}, or null when it is not set
     * @return the settings; when there were problems, a value built from defaults (the caller throws anyway)
     */
    public static CallbackSettings read(ConfigNode node, boolean sandbox, String secretText) {
        List<String> hosts = node.stringList("allowed-hosts", List.of());
        Duration initial = node.positiveDuration("initial-backoff", DEFAULT_INITIAL_BACKOFF);
        Duration max = node.positiveDuration("max-backoff", DEFAULT_MAX_BACKOFF);
        Duration maxAge = node.positiveDuration("max-age", DEFAULT_MAX_AGE);
        Duration timeout = node.positiveDuration("timeout", DEFAULT_TIMEOUT);
        if (max.compareTo(initial) < 0) {
            node.problem("max-backoff", max, "at least initial-backoff (" + initial + ")");
            max = initial;
        }
        if (node.has("secret")) { // in the file, or ROUTER_CALLBACKS_SECRET (the derived override name)
            node.problem("secret", "(hidden)", "no such key: the signing secret is read from the environment variable "
                    + SECRET_ENV + " only");
        }
        Optional<Secret> secret = Optional.empty();
        String text = secretText == null ? "" : secretText.strip();
        if (!text.isEmpty()) {
            Optional<String> problem = secretProblem(text);
            if (problem.isPresent()) {
                node.errors().addMessage(SECRET_ENV + ": " + problem.get() + " (the value is not shown)");
            } else {
                secret = Optional.of(Secret.of(text));
            }
        } else if (sandbox) {
            secret = Optional.of(Secret.of(SANDBOX_SECRET));
        }
        node.redact("secret", text.isEmpty() ? (sandbox ? "(sandbox secret)" : "") : "****");
        try {
            return new CallbackSettings(Set.copyOf(hosts), secret, initial, max, maxAge, timeout);
        } catch (IllegalArgumentException e) {
            node.problem("allowed-hosts", hosts, e.getMessage());
            return new CallbackSettings(Set.of(), secret, initial, max, maxAge, timeout);
        }
    }

    /**
     * What is wrong with a signing secret, in words that never include it.
     *
     * @param text a candidate secret
     * @return empty when it is {@code whsec_} followed by standard base64 that decodes to
     *         {@value #MIN_SECRET_BYTES}..{@value #MAX_SECRET_BYTES} bytes; otherwise the problem
     */
    public static Optional<String> secretProblem(String text) {
        String expected = "expected " + SECRET_PREFIX + " followed by the base64 of " + MIN_SECRET_BYTES + " to "
                + MAX_SECRET_BYTES + " random bytes (the Standard Webhooks secret format)";
        if (text == null || !text.startsWith(SECRET_PREFIX)) {
            return Optional.of(expected + ", but it does not start with " + SECRET_PREFIX);
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return Optional.of(expected + ", but the part after " + SECRET_PREFIX + " is not valid base64");
        }
        if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
            return Optional.of(expected + ", but it decodes to " + key.length + " bytes");
        }
        return Optional.empty();
    }

    /** Whether {@code host} is an exact (case-insensitive) entry: such a host may use http and any port. */
    public boolean listedExactly(String host) {
        return dev.imagerouter.vocabulary.HostPatterns.listedExactly(allowedHosts, host);
    }

    /**
     * Whether {@code host} is a proper subdomain of a {@code *.suffix} entry (then only https on port 443 is
     * allowed, and {@code CallbackDestinations} checks the addresses it resolves to before each delivery).
     */
    public boolean matchesWildcard(String host) {
        return dev.imagerouter.vocabulary.HostPatterns.matchesWildcard(allowedHosts, host);
    }

    /** Whether the secret in force is {@link #SANDBOX_SECRET}. */
    public boolean usesSandboxSecret() {
        return secret.map(s -> s.matches(SANDBOX_SECRET)).orElse(false);
    }

    private static Set<String> normaliseHosts(Collection<String> entries) {
        Set<String> hosts = new LinkedHashSet<>();
        for (String entry : entries) {
            String host = entry == null ? "" : entry.strip().toLowerCase(Locale.ROOT);
            String bare = host.startsWith("*.") ? host.substring(2) : host;
            boolean name = bare.matches("[a-z0-9.\\-]+") && !bare.startsWith(".") && !bare.endsWith(".");
            boolean ipv6 = !host.startsWith("*.") && host.matches("\\[[0-9a-f:.]+]");
            if (!name && !ipv6) {
                throw new IllegalArgumentException("router.callbacks.allowed-hosts entries must be host names such as"
                        + " hooks.example.com, *.example.com or 127.0.0.1, or [IPv6] literals (no scheme, port or path),"
                        + " but was '" + entry + "'");
            }
            hosts.add(host);
        }
        return Set.copyOf(hosts);
    }

    private static void requirePositive(String key, Duration value) {
        Objects.requireNonNull(value, "router.callbacks." + key + " must be set");
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException("router.callbacks." + key + " must be positive, but was " + value);
        }
    }

    @Override
    public String toString() {
        return "CallbackSettings[allowedHosts=" + allowedHosts + ", secret="
                + (secret.isEmpty() ? "none" : usesSandboxSecret() ? "sandbox" : "****") + ", initialBackoff=" + initialBackoff
                + ", maxBackoff=" + maxBackoff + ", maxAge=" + maxAge + ", timeout=" + timeout + "]";
    }
}
