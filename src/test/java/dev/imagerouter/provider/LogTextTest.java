package dev.imagerouter.provider;

import dev.imagerouter.vocabulary.LogText;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

/** {@link LogText#escape}: no raw line break or control character survives; other text is unchanged. */
class LogTextTest {

    @Test
    void escapesLineBreaksQuotesBackslashesAndControls() {
        assertEquals("harbour\\nALERT forged-line", LogText.escape("harbour\nALERT forged-line"));
        assertEquals("a\\r\\nb\\tc", LogText.escape("a\r\nb\tc"));
        assertEquals("say \\\"hi\\\" \\\\ there", LogText.escape("say \"hi\" \\ there"));
        assertEquals("\\u0000\\u001b[31m\\u007f\\u0085\\u2028\\u2029", LogText.escape("\u0000\u001b[31m\u007f\u0085\u2028\u2029"));
    }

    @Test
    void keepsPlainAndNonAsciiTextAsItIs() {
        String plain = "a lighthouse at dusk, 灯台 à l'aube 🌅";
        assertSame(plain, LogText.escape(plain));
        assertEquals("null", LogText.escape((String) null));
        assertEquals("java.lang.IllegalStateException: x\\ny", LogText.escape(new IllegalStateException("x\ny")));
    }

    @Test
    void noCharacterBelowSpaceSurvives() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x3000; c++) {
            all.append(c);
        }
        String escaped = LogText.escape(all);
        for (char c : escaped.toCharArray()) {
            assertFalse(c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029', "raw U+" + Integer.toHexString(c));
        }
    }
}
