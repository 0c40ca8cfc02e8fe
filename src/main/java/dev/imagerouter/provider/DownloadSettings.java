package dev.imagerouter.provider;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Limits on fetching provider image URLs ({@code router.storage.download.*}).
 *
 * @param allowedHosts host names images may be fetched from ({@code router.storage.download.allowed-hosts}),
 *                     compared case-insensitively; stored lowercased; empty means no host is allowed.
 *                     A host listed by exact name may be fetched over {@code http} or {@code https} on any
 *                     port. A wildcard entry {@code *.leonardo.ai} matches every subdomain
 *                     ({@code cdn.leonardo.ai}, {@code a.b.leonardo.ai}) but not {@code leonardo.ai} itself,
 *                     and allows {@code https} on port 443 only (see {@link #allows(String, String, int)}).
 * @param maxBytes     the largest image body accepted, in bytes, 1..{@link #MAX_MAX_BYTES}
 *                     (default {@link #DEFAULT_MAX_BYTES}, 20 MiB)
 * @param timeout      the whole download's deadline, connect included (default {@link #DEFAULT_TIMEOUT}, 20 s)
 * @throws IllegalArgumentException naming the key and the bad value
 */
public record DownloadSettings(Set<String> allowedHosts, long maxBytes, Duration timeout) {

    /** 20 MiB: a 2048x2048 PNG is at most ~16 MiB uncompressed RGBA; real ones are far smaller. */
    public static final long DEFAULT_MAX_BYTES = 20L * 1024 * 1024;
    /** Bodies are aggregated in memory and Netty counts them in an {@code int}: keep well below 2 GiB. */
    public static final long MAX_MAX_BYTES = 512L * 1024 * 1024;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    public DownloadSettings {
        Objects.requireNonNull(allowedHosts, "router.storage.download.allowed-hosts must not be null (use an empty list)");
        Set<String> hosts = new LinkedHashSet<>();
        for (String entry : allowedHosts) {
            String host = entry == null ? "" : entry.strip().toLowerCase(Locale.ROOT);
            String bare = host.startsWith("*.") ? host.substring(2) : host;
            if (bare.isEmpty() || !bare.matches("[a-z0-9.\\-]+") || bare.startsWith(".") || bare.endsWith(".")) {
                throw new IllegalArgumentException("router.storage.download.allowed-hosts entries must be host names"
                        + " such as cdn.leonardo.ai or *.leonardo.ai (no scheme, port or path), but was '" + entry + "'");
            }
            hosts.add(host);
        }
        allowedHosts = Set.copyOf(hosts);
        if (maxBytes < 1 || maxBytes > MAX_MAX_BYTES) {
            throw new IllegalArgumentException("router.storage.download.max-bytes must be between 1 and "
                    + MAX_MAX_BYTES + ", but was " + maxBytes);
        }
        Objects.requireNonNull(timeout, "router.storage.download.timeout must not be null");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("router.storage.download.timeout must be positive, but was " + timeout);
        }
    }

    /** The given hosts with the default size cap and timeout. */
    public DownloadSettings(Set<String> allowedHosts) {
        this(allowedHosts, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT);
    }

    /**
     * The outbound-destination rule: whether a URL with this scheme, host and port may be fetched.
     * A host listed by exact (case-insensitive) name: {@code http} or {@code https}, any port. A host
     * matched only by a {@code *.suffix} entry: {@code https} on port 443 only. Anything else: no.
     *
     * @param scheme {@code http} or {@code https} (any case); other schemes are refused
     * @param host   the URL's host
     * @param port   the URL's port, or -1 for the scheme's default (80 for http, 443 for https)
     */
    public boolean allows(String scheme, String host, int port) {
        if (scheme == null || host == null || host.isEmpty()) {
            return false;
        }
        String s = scheme.toLowerCase(Locale.ROOT);
        if (!s.equals("http") && !s.equals("https")) {
            return false;
        }
        if (listedExactly(host)) {
            return true;
        }
        int effectivePort = port >= 0 ? port : (s.equals("https") ? 443 : 80);
        return s.equals("https") && effectivePort == 443 && allows(host);
    }

    /** Whether {@code host} is an exact (case-insensitive) entry: such a host may use http and any port. */
    public boolean listedExactly(String host) {
        return dev.imagerouter.vocabulary.HostPatterns.listedExactly(allowedHosts, host);
    }

    /**
     * Whether {@code host}'s name matches an entry at all: an exact (case-insensitive) entry, or a
     * {@code *.suffix} entry of which it is a proper subdomain. The scheme and port rule is
     * {@link #allows(String, String, int)}.
     */
    public boolean allows(String host) {
        return listedExactly(host) || dev.imagerouter.vocabulary.HostPatterns.matchesWildcard(allowedHosts, host);
    }
}
