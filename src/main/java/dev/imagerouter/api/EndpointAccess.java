package dev.imagerouter.api;

import dev.imagerouter.settings.AuthConfig;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Which credential an endpoint needs, decided from its path. Paths are canonicalised first (lower
 * case, repeated slashes collapsed, {@code .} and {@code ..} segments resolved) so that
 * {@code //Admin/./config} is classified like {@code /admin/config}; anything not listed as open
 * needs a client key (deny by default).
 */
enum EndpointAccess {
    /** No key: {@code /health}, the emulators, the webhook receiver (it checks its own key), files and metrics unless protected. */
    OPEN,
    /** A client key (or, in open sandbox mode, nothing). */
    CLIENT,
    /** {@code /prometheus} when protected: a client key or the admin key. */
    METRICS,
    /** {@code /admin/**} and the console ({@code /console}, {@code /console/**}): the admin key only. */
    ADMIN;

    /** Classifies a request path (decoded, without query) or a route template. */
    static EndpointAccess of(String path, AuthConfig auth) {
        String p = canonical(path);
        if (p.equals("/admin") || p.startsWith("/admin/") || isConsole(p)) {
            return ADMIN;
        }
        if (p.equals("/health") || p.startsWith("/health/") || p.startsWith("/sandbox/") || p.startsWith("/v1/webhooks/")) {
            return OPEN;
        }
        if (p.equals("/prometheus")) {
            return auth.protectMetrics() ? METRICS : OPEN;
        }
        if (p.startsWith("/v1/images/files/")) {
            return auth.protectFiles() ? CLIENT : OPEN;
        }
        return CLIENT;
    }

    /** Whether a canonical path is the console's page or one of its files (see ConsoleController). */
    static boolean isConsole(String canonicalPath) {
        return canonicalPath.equals("/console") || canonicalPath.startsWith("/console/");
    }

    /** The stricter of two classifications: admin over client over metrics over open. */
    static EndpointAccess stricter(EndpointAccess a, EndpointAccess b) {
        if (a == ADMIN || b == ADMIN) {
            return ADMIN;
        }
        if (a == CLIENT || b == CLIENT) {
            return CLIENT;
        }
        return a == METRICS || b == METRICS ? METRICS : OPEN;
    }

    /** Lower case, no empty or {@code .} segments, {@code ..} resolved (never above the root). */
    static String canonical(String path) {
        Deque<String> segments = new ArrayDeque<>();
        for (String segment : path.toLowerCase(Locale.ROOT).split("[/\\\\]+")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                segments.pollLast();
            } else {
                segments.addLast(segment);
            }
        }
        return "/" + String.join("/", segments);
    }
}
