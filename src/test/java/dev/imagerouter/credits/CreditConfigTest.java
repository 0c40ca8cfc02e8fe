package dev.imagerouter.credits;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.config.ConfigLoader;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.provider.CreditSettings;
import dev.imagerouter.provider.ModelCheckSettings;
import dev.imagerouter.config.ProviderAdapters;
import dev.imagerouter.testing.RouterTestSupport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Credit thresholds, budgets, model checks and alert settings are validated at load, naming file, key and value. */
class CreditConfigTest {

    @Test
    void shippedFiles_haveOrderedThresholds_aFiveMinuteCheck_andADailyModelCheck() {
        RouterConfig config = load(copyOfRepository());

        CreditSettings leonardo = config.providers().get("leonardo-phoenix").settings().credits();
        assertEquals(Duration.ofMinutes(5), leonardo.checkInterval());
        assertEquals(Optional.of(new BigDecimal("2000")), leonardo.warnBelow());
        assertEquals(Optional.of(new BigDecimal("500")), leonardo.criticalBelow());
        assertEquals(Optional.of(new BigDecimal("50")), leonardo.skipBelow());
        assertEquals(new BigDecimal("100"), leonardo.hysteresis());
        assertEquals(Duration.ofHours(24),
                config.providers().get("openai-gpt-image-2").settings().modelCheck().interval());
        assertTrue(config.alerts().webhookUrl().isEmpty() || System.getenv("ALERT_WEBHOOK_URL") != null);
    }

    @Test
    void thresholdsOutOfOrder_stopTheLoad_namingFileKeyAndValue() {
        Path dir = copyOfRepository();
        replace(dir.resolve("providers/leonardo-phoenix.yml"), "skip-below: 50", "skip-below: 600");
        replace(dir.resolve("providers/leonardo-phoenix.yml"), "warn-below: 2000", "warn-below: 400");

        ConfigException e = assertThrows(ConfigException.class, () -> load(dir));

        String skip = problem(e, "credits.skip-below");
        assertTrue(skip.contains("leonardo-phoenix.yml") && skip.contains("router.providers.leonardo-phoenix.credits.skip-below")
                && skip.contains("'600'") && skip.contains("less than critical-below (500)"), skip);
        String critical = problem(e, "credits.critical-below");
        assertTrue(critical.contains("'500'") && critical.contains("less than warn-below (400)"), critical);
    }

    @Test
    void creditsOnAProviderWithoutBalance_negativeHysteresisAndBudget_badWebhookUrl_areEachReported() {
        Path dir = copyOfRepository();
        append(dir.resolve("providers/openai-gpt-image-2.yml"), "credits: { warn-below: 10 }\ndaily-budget-usd: -1\n");
        replace(dir.resolve("providers/leonardo-phoenix.yml"), "hysteresis: 100", "hysteresis: -5");
        replace(dir.resolve("config/application.yml"), "webhook-url: ${ALERT_WEBHOOK_URL:}", "webhook-url: ftp://hooks.example/T0/secret");

        ConfigException e = assertThrows(ConfigException.class, () -> load(dir));

        assertTrue(problem(e, "openai-gpt-image-2.credits").contains("only providers of type leonardo"), e.getMessage());
        assertTrue(problem(e, "openai-gpt-image-2.daily-budget-usd").contains("'-1'"), e.getMessage());
        assertTrue(problem(e, "credits.hysteresis").contains("'-5'"), e.getMessage());
        String webhook = problem(e, "router.alerts.webhook-url");
        assertTrue(webhook.contains("http(s) URL"), webhook);
        assertFalse(e.getMessage().contains("secret"), "the webhook URL may hold a token: " + e.getMessage());
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static RouterConfig load(Path dir) {
        return new ConfigLoader(key -> Optional.empty(), name -> null, ProviderAdapters::validate).load(dir.resolve("config"));
    }

    private static String problem(ConfigException e, String key) {
        return e.problems().stream().filter(p -> p.contains(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no problem about " + key + " in " + e.getMessage()));
    }

    /** config/ and providers/ of the repository in a fresh directory. */
    static Path copyOfRepository() {
        Path root = RouterTestSupport.tempDir("config");
        for (String sub : List.of("config", "providers")) {
            try (Stream<Path> files = Files.list(Path.of(sub))) {
                Files.createDirectories(root.resolve(sub));
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    Files.copy(f, root.resolve(sub).resolve(f.getFileName()));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return root;
    }

    private static void replace(Path file, String old, String replacement) {
        try {
            String text = Files.readString(file);
            assertTrue(text.contains(old), file + " has no '" + old + "'");
            Files.writeString(file, text.replace(old, replacement));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void append(Path file, String yaml) {
        try {
            Files.writeString(file, Files.readString(file) + "\n" + yaml);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
