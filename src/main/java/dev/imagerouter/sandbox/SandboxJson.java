package dev.imagerouter.sandbox;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON writer for the emulators' response bodies.
 *
 * <p>Why not the application's {@code JsonMapper}: wire faithfulness needs exact key order and
 * explicit {@code null}s whatever the serde inclusion settings are, and the bodies are small maps.
 * Supported values: null, String, Boolean, Integer/Long, BigDecimal (written plain, no exponent),
 * other Numbers via {@code toString()}, {@link Map} (insertion order), {@link List}.
 */
final class SandboxJson {

    private SandboxJson() {
    }

    /** An insertion-ordered map, for building objects. */
    /** Parses a request body to a JSON object; null when it is empty, not JSON, or not an object. */
    static io.micronaut.json.tree.JsonNode parseObject(io.micronaut.json.JsonMapper mapper, String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            io.micronaut.json.tree.JsonNode node = mapper.readValue(body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    io.micronaut.core.type.Argument.of(io.micronaut.json.tree.JsonNode.class));
            return node != null && node.isObject() ? node : null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    static Map<String, Object> object() {
        return new LinkedHashMap<>();
    }

    static byte[] bytes(Object value) {
        return write(value).getBytes(StandardCharsets.UTF_8);
    }

    static String write(Object value) {
        StringBuilder sb = new StringBuilder(256);
        append(sb, value);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object value) {
        if (value == null) {
            sb.append("null");
        } else if (value instanceof String s) {
            string(sb, s);
        } else if (value instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (value instanceof BigDecimal d) {
            sb.append(d.toPlainString());
        } else if (value instanceof Number n) {
            sb.append(n);
        } else if (value instanceof Map<?, ?> m) {
            sb.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                string(sb, String.valueOf(e.getKey()));
                sb.append(':');
                append(sb, e.getValue());
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            sb.append('}');
        } else if (value instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                append(sb, l.get(i));
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("unsupported JSON value type " + value.getClass().getName());
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
