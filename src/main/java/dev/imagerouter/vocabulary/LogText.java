package dev.imagerouter.vocabulary;

/*
 * Why our own escaper: the candidates on the classpath escape for another purpose. Commons Text's
 * escapeJava (and Jackson's string quoting) turn every non-ASCII character into a backslash-u escape, which makes
 * a Japanese or accented prompt unreadable in the log, and they leave U+2028/U+2029 and C1 controls
 * (U+0085 NEL) alone or treat them differently. What a log line needs is narrow and fixed: nothing
 * that a terminal, a log shipper or a line-based reader could take as a line break or a control
 * sequence, and a quote that cannot close the field. That is the one loop below.
 */

/**
 * Makes client- or provider-supplied text safe to put inside one log line (log injection, CWE-117).
 *
 * <p>{@link #escape} maps {@code \n} → {@code \\n}, {@code \r} → {@code \\r}, {@code \t} → {@code \\t},
 * {@code \\} → {@code \\\\}, {@code "} → {@code \\"}, every other C0 control (U+0000–U+001F), DEL (U+007F),
 * every C1 control (U+0080–U+009F) and the Unicode line and paragraph separators (U+2028, U+2029) →
 * {@code \\uXXXX}; every other character, non-ASCII included, stays as it is. The result therefore never
 * contains a raw line break or control character, and a value logged as {@code key="…"} cannot end its
 * quotes early. Thread-safe, no state.
 */
public final class LogText {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    /**
     * @param text any text, possibly null
     * @return the escaped text ({@code "null"} for null); the same instance when nothing needed escaping
     */
    public static String escape(CharSequence text) {
        if (text == null) {
            return "null";
        }
        int n = text.length();
        int i = 0;
        while (i < n && !needsEscape(text.charAt(i))) {
            i++;
        }
        if (i == n) {
            return text.toString();
        }
        StringBuilder out = new StringBuilder(n + 16).append(text, 0, i);
        for (; i < n; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                default -> {
                    if (needsEscape(c)) {
                        out.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /** {@link #escape} of {@code String.valueOf(value)}: for exceptions' {@code toString()} and other objects. */
    public static String escape(Object value) {
        return escape(value == null ? null : value.toString());
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || c == '"' || c == '\\' || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
