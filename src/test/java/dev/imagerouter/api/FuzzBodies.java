package dev.imagerouter.api;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Hostile request bodies for {@link FuzzCases}: objects with wrong types for every parameter, huge and
 * tiny numbers, very long and odd Unicode strings (NUL, lone surrogates, bidi controls), deep nesting,
 * broken JSON, random bytes (invalid UTF-8), bodies over the size cap, unknown fields, and valid requests
 * with one parameter made hostile. Not thread-safe (one Random).
 */
final class FuzzBodies {

    static final String[] FIELDS = {"prompt", "n", "size", "quality", "style", "negative_prompt", "seed",
            "response_format", "model", "output_format", "user"};

    private final FuzzRandom random;

    FuzzBodies(FuzzRandom random) {
        this.random = random;
    }

    byte[] body() {
        int kind = random.nextInt(100);
        if (kind < 40) {
            return object(random.nextInt(4) + 1).getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 60) {
            // a valid request with one parameter replaced by something hostile
            String field = random.pick(FIELDS);
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
            return random.bytes(random.nextInt(2000));
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
            String name = random.nextInt(6) == 0 ? random.junk(random.nextInt(30) + 1).replace("\"", "").replace("\\", "") : random.pick(FIELDS);
            sb.append('"').append(name).append("\":").append(value(0));
        }
        return sb.append('}').toString();
    }

    /** A JSON value chosen to hurt: wrong types, extremes, long and odd strings, nesting. */
    String value(int depth) {
        switch (random.nextInt(depth > 2 ? 14 : 16)) {
            case 0: return "null";
            case 1: return random.nextBoolean() ? "true" : "false";
            case 2: return random.pick(new String[]{"0", "-1", "1.5", "4", "5", "-0", "1e309", "-1e309", "1e-400", "9223372036854775808",
                    "99999999999999999999999999999999", "0.0000001", "2e0", "1E2", "9999999998", "9999999999"});
            case 3: return "\"" + random.pick(new String[]{"", " ", "1024x1024", "256x256", "2048x2048", "0x0", "-256x256", "257x256",
                    "1024x1024\\n", "auto", "AUTO", "url", "b64_json", "png", "jpeg", "webp", "high", "CINEMATIC", "cinematic",
                    "../../etc/passwd", "<script>alert(1)</script>", "${jndi:ldap://x/a}", "%s%n%x", "' OR 1=1 --"}) + "\"";
            case 4: return "\"" + "a".repeat(random.nextInt(60_000)) + "\"";
            case 5: return "\"" + "\\u0000\\ud800 \\uDFFF \\u202e \uD83C\uDF0A \u0645\u0631\u062d\u0628\u0627".repeat(random.nextInt(50) + 1) + "\"";
            case 6: return "\"" + random.junk(random.nextInt(200)).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            case 7: return Long.toString(random.nextLong());
            case 8: return Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
            case 9: return "9".repeat(random.nextInt(3000) + 1);
            case 10: return "[" + value(depth + 1) + "," + value(depth + 1) + "]";
            case 11: return "{\"" + random.pick(FIELDS) + "\":" + value(depth + 1) + "}";
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
            case 1 -> valid + random.junk(10);
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

}
