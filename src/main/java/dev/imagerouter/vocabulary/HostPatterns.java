package dev.imagerouter.vocabulary;

import java.util.Locale;
import java.util.Set;

/**
 * Matching of host names against an allow-list of entries ({@code router.storage.download.allowed-hosts},
 * {@code router.callbacks.allowed-hosts}): an exact, case-insensitive name ({@code 127.0.0.1},
 * {@code hooks.example.com}), or {@code *.suffix}, which matches proper subdomains of the suffix only
 * ({@code *.leonardo.ai} matches {@code cdn.leonardo.ai}, not {@code leonardo.ai}). Entries are expected
 * lower-cased. The scheme and port rules that go with each kind of entry are the callers'.
 */
public final class HostPatterns {

    private HostPatterns() {
    }

    /** Whether {@code host} is an exact entry. */
    public static boolean listedExactly(Set<String> entries, String host) {
        return host != null && entries.contains(host.toLowerCase(Locale.ROOT));
    }

    /** Whether {@code host} is a proper subdomain of a {@code *.suffix} entry. */
    public static boolean matchesWildcard(Set<String> entries, String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (String entry : entries) {
            if (entry.startsWith("*.") && h.endsWith(entry.substring(1)) && h.length() > entry.length() - 1) {
                return true;
            }
        }
        return false;
    }
}
