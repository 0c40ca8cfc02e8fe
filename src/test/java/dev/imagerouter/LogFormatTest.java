package dev.imagerouter;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@code Application} picks the log format before anything logs. */
class LogFormatTest {

    private static Properties props(String... keysAndValues) {
        Properties p = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            p.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return p;
    }

    @Test
    void textByDefault_blankCountsAsUnset() {
        assertEquals("text", Application.logFormat(k -> null, props()));
        assertEquals("text", Application.logFormat(Map.of("ROUTER_LOG_FORMAT", " ")::get, props()));
    }

    @Test
    void theEnvironmentWins_thenTheSystemProperties_caseIgnored() {
        assertEquals("json", Application.logFormat(Map.of("ROUTER_LOG_FORMAT", " JSON ")::get, props("router.log.format", "text")));
        assertEquals("json", Application.logFormat(k -> null, props("ROUTER_LOG_FORMAT", "json", "router.log.format", "text")));
        assertEquals("json", Application.logFormat(k -> null, props("router.log.format", "Json")));
    }

    @Test
    void anyOtherValue_isRefused_escaped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Application.logFormat(Map.of("ROUTER_LOG_FORMAT", "xml\nforged")::get, props()));
        assertTrue(e.getMessage().contains("must be text or json, not \"xml\\nforged\""), e.getMessage());
    }
}
