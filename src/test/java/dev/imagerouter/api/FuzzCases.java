package dev.imagerouter.api;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Generates hostile requests for {@link FuzzTest} from a seeded {@link Random}. Each case mixes a
 * target (path and method), a body ({@link FuzzBodies}) and headers:
 * <ul>
 *   <li>bodies: wrong types for every parameter, huge and tiny numbers, very long and odd Unicode
 *       strings, deep nesting, broken JSON, random bytes (invalid UTF-8), oversized bodies, unknown fields</li>
 *   <li>headers: odd and wrong content types and charsets, wrong, foreign and oversized keys, garbage
 *       sandbox faults, cache and idempotency headers, a bogus content encoding (no {@code Expect: 100-continue}:
 *       the JDK 17 client waits forever when the answer is not 100, JDK-8286171; {@link FuzzTest} sends it raw)</li>
 *   <li>paths: traversal and encoded names on the files endpoint, admin spellings, unknown and very long
 *       paths, query strings; methods GET, PUT, DELETE, PATCH, OPTIONS, HEAD, TRACE and made-up ones</li>
 * </ul>
 * Not thread-safe (one Random).
 */
final class FuzzCases {

    static final String CLIENT_KEY = "fuzz-client-key-000000000001";
    static final String ADMIN_KEY = "fuzz-admin-key-0000000000001";
    static final String WEBHOOK_KEY = "fuzz-webhook-key-00000000001";

    /** One request: how to build it and a short description for failure messages. */
    record Case(String method, String description, HttpRequest.Builder builder) {
        HttpRequest.Builder build() {
            return builder;
        }
    }

    private static final String[] METHODS = {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "BREW", "PROPFIND", "POST"};
    private static final String[] CONTENT_TYPES = {"application/json", "application/json; charset=utf-8", "application/json; charset=latin1",
            "application/json; charset=utf-16", "application/json; charset=bogus-charset", "application/json;;;", "text/plain",
            "multipart/form-data", "multipart/form-data; boundary=zz", "application/x-www-form-urlencoded", "*/*", "application/",
            "application/xml", "image/png", "application/json; boundary=", "APPLICATION/JSON", "text/json", "application/vnd.api+json"};

    private final FuzzRandom random;
    private final String base;
    private final FuzzBodies bodies;

    FuzzCases(FuzzRandom random, String base) {
        this.random = random;
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.bodies = new FuzzBodies(random);
    }

    Case next() {
        int kind = random.nextInt(100);
        if (kind < 55) {
            return generation();
        }
        if (kind < 67) {
            return files();
        }
        if (kind < 77) {
            return webhook();
        }
        if (kind < 85) {
            return admin();
        }
        return oddTarget();
    }

    // ---- targets ----

    private Case generation() {
        byte[] body = bodies.body();
        String contentType = random.nextInt(4) == 0 ? random.pick(CONTENT_TYPES) : "application/json";
        HttpRequest.Builder b = request("/v1/images/generations" + (random.nextInt(15) == 0 ? "?" + junkQuery() : ""));
        b.header("Content-Type", contentType);
        headers(b, true);
        // a body that happens to be valid generates: steer it to the fast OpenAI emulator
        b.header("X-Sandbox-Fault", random.nextInt(10) == 0 ? random.junk(40) : "leonardo=429");
        b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return new Case("POST", "POST generations " + contentType + " body " + preview(body), b);
    }

    private Case files() {
        String[] names = {"..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5c..%5cwindows%5cwin.ini",
                "0".repeat(64) + ".png", "0".repeat(64) + ".png%00.txt", "0".repeat(63) + ".png", "F".repeat(64) + ".PNG",
                "0".repeat(64) + ".exe", "%00", "%ff%fe%fd", "%c3%28", "....//....//etc/passwd", "a".repeat(3000),
                encoded(random.bytes(random.nextInt(80)))};
        String name = random.pick(names);
        String path = "/v1/images/files/" + (random.nextBoolean() ? name : "../" + name);
        HttpRequest.Builder b = request(path);
        if (random.nextBoolean()) {
            b.header("If-None-Match", random.nextBoolean() ? "*" : random.junk(30));
        }
        headers(b, false);
        String method = random.nextInt(4) == 0 ? random.pick(METHODS) : "GET";
        method(b, method);
        return new Case(method, method + " " + abbreviate(path), b);
    }

    private Case webhook() {
        HttpRequest.Builder b = request("/v1/webhooks/leonardo");
        int auth = random.nextInt(4);
        if (auth == 0) {
            b.header("Authorization", "Bearer " + WEBHOOK_KEY);
        } else if (auth == 1) {
            b.header("Authorization", "Bearer " + random.junk(40));
        }
        b.header("Content-Type", random.nextInt(3) == 0 ? random.pick(CONTENT_TYPES) : "application/json");
        byte[] body = random.nextInt(3) == 0 ? ("{\"data\":{\"object\":{\"id\":" + bodies.value(0) + ",\"status\":" + bodies.value(0)
                + ",\"images\":" + bodies.value(0) + ",\"seed\":" + bodies.value(0) + "}}}").getBytes(StandardCharsets.UTF_8) : bodies.body();
        b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return new Case("POST", "POST webhook auth=" + auth + " body " + preview(body), b);
    }

    private Case admin() {
        String[] paths = {"/admin/config", "/admin/chain", "/admin/reload", "//admin/config", "/ADMIN/chain", "/admin/../admin/config",
                "/admin/%2e%2e/config", "/admin/config?x=" + junkQuery(), "/admin/nothing"};
        String path = random.pick(paths);
        HttpRequest.Builder b = request(path);
        int auth = random.nextInt(4);
        if (auth == 0) {
            b.header("Authorization", "Bearer " + CLIENT_KEY);
        } else if (auth == 1) {
            b.header("Authorization", "Bearer " + random.junk(30));
        } else if (auth == 2 && !path.contains("reload")) {
            b.header("Authorization", "Bearer " + ADMIN_KEY);
        }
        String method = random.nextBoolean() ? "GET" : random.pick(METHODS);
        if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            b.header("Content-Type", random.pick(CONTENT_TYPES));
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(bodies.body()));
        } else {
            method(b, method);
        }
        return new Case(method, method + " " + path + " auth=" + auth, b);
    }

    private Case oddTarget() {
        String[] paths = {"/", "/v1", "/v1/images", "/v1/images/generations/", "/v1//images/generations", "/v1/images/edits",
                "/v1/images/generations%00", "/%2e%2e/%2e%2e/etc/passwd", "/health/../admin/config", "/health",
                "/prometheus", "/beans", "/env", "/loggers", "/refresh", "/threaddump", "/" + "x".repeat(2000),
                "/" + encoded(random.bytes(random.nextInt(60))), "/sandbox/../admin/config", "/v1/webhooks/other"};
        String path = random.pick(paths);
        String method = random.pick(METHODS);
        HttpRequest.Builder b = request(path);
        headers(b, true);
        if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            b.header("Content-Type", random.pick(CONTENT_TYPES));
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(bodies.body()));
        } else {
            method(b, method);
        }
        return new Case(method, method + " " + abbreviate(path), b);
    }

    // ---- headers ----

    private void headers(HttpRequest.Builder b, boolean withKey) {
        int auth = random.nextInt(20);
        if (withKey && auth < 16) {
            b.header("Authorization", "Bearer " + CLIENT_KEY); // most cases get past authentication to the parser
        } else if (auth == 16) {
            b.header("Authorization", "Bearer " + ADMIN_KEY);
        } else if (auth == 17) {
            b.header("Authorization", random.pick(new String[]{"Bearer", "Bearer  ", "Basic Zm9vOmJhcg==", "bearer " + random.junk(64),
                    "Bearer " + "k".repeat(4000), "Token " + CLIENT_KEY, "Bearer " + CLIENT_KEY + " extra"}));
        }
        if (random.nextInt(5) == 0) {
            b.header("Cache-Control", random.pick(new String[]{"no-cache", "no-store", random.junk(20), "max-age=-1"}));
        }
        if (random.nextInt(8) == 0) {
            b.header("Idempotency-Key", random.nextBoolean() ? random.junk(40) : "i".repeat(3000));
        }
        if (random.nextInt(8) == 0) {
            b.header("Accept", random.pick(new String[]{"image/png", "text/html", "*/*", "application/xml;q=0.9", ";;", random.junk(20)}));
        }
        if (random.nextInt(15) == 0) {
            b.header("Content-Encoding", random.pick(new String[]{"gzip", "deflate", "br", "identity", random.junk(8)}));
        }
        if (random.nextInt(15) == 0) {
            b.header("X-Forwarded-Proto", random.junk(10));
            b.header("X-Forwarded-For", random.junk(30));
        }
        if (random.nextInt(20) == 0) {
            b.header("X-" + random.junk(8).replaceAll("[^A-Za-z]", "a"), random.junk(200));
        }
    }

    private void method(HttpRequest.Builder b, String method) {
        switch (method) {
            case "GET" -> b.GET();
            case "DELETE" -> b.DELETE();
            case "POST" -> b.POST(HttpRequest.BodyPublishers.noBody());
            default -> b.method(method, HttpRequest.BodyPublishers.noBody());
        }
    }

    // ---- helpers ----

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path));
    }

    private String junkQuery() {
        return "q=" + encoded(random.bytes(random.nextInt(40))) + "&prompt=" + encoded(random.bytes(10));
    }

    /** Percent-encodes every byte, so any byte sequence (invalid UTF-8 included) makes a legal URI path. */
    private static String encoded(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return sb.toString();
    }

    private static String preview(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 60), StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", "?");
        return "(" + body.length + " bytes) " + text;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
