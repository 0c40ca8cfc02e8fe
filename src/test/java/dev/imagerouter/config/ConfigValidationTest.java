package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.settings.RouterConfig;

import dev.imagerouter.testing.TestConfigDir;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #6: every configuration mistake is reported at once, naming file, key, value and what was expected. */
class ConfigValidationTest {

    private static ConfigLoader loader(Map<String, String> env) {
        return new ConfigLoader(key -> Optional.empty(), env::get, ProviderAdapters::validate);
    }

    @Test
    void outsideSandbox_missingKeyVariables_unknownType_badDuration_areAllReported() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "mode: auto", "mode: \"false\"");
        dir.replace(dir.providerFile("openai-gpt-image-2"), "type: openai", "type: openia");
        dir.replace(dir.providerFile("leonardo-phoenix"), "timeout: 30s", "timeout: thirty seconds");

        ConfigException e = assertThrows(ConfigException.class, () -> loader(Map.of()).load(dir.configDir()));

        String m = e.getMessage();
        assertTrue(m.contains("leonardo-phoenix.yml: router.providers.leonardo-phoenix.api-key-env = 'LEONARDO_API_KEY'"), m);
        assertTrue(m.contains("openai-gpt-image-2.yml: router.providers.openai-gpt-image-2.type = 'openia'"), m);
        assertTrue(m.contains("router.providers.leonardo-phoenix.timeout = 'thirty seconds': expected a non-negative duration"), m);
        assertTrue(e.problems().size() >= 3, m);
    }

    @Test
    void zeroTimeouts_andTooShortCheckIntervals_areReported_withWhatWasExpected() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.providerFile("openai-gpt-image-2"), "timeout: 120s", "timeout: 0s");
        dir.replace(dir.providerFile("openai-gpt-image-2"), "  timeout: 10s", "  timeout: 0ms");
        dir.replace(dir.providerFile("openai-gpt-image-2"), "interval: 24h", "interval: 50ms");
        dir.replace(dir.providerFile("leonardo-phoenix"), "check-interval: 5m", "check-interval: 99ms");
        dir.replace(dir.providerFile("leonardo-phoenix"), "check-timeout: 10s", "check-timeout: 0s");

        ConfigException e = assertThrows(ConfigException.class, () -> loader(Map.of()).load(dir.configDir()));

        String m = e.getMessage();
        for (String key : new String[]{"openai-gpt-image-2.timeout", "openai-gpt-image-2.model-check.timeout",
                "leonardo-phoenix.credits.check-timeout"}) {
            assertTrue(m.contains("router.providers." + key + " = 'PT0S': expected a positive duration"), key + " in " + m);
        }
        assertTrue(m.contains("router.providers.openai-gpt-image-2.model-check.interval = 'PT0.05S': expected at least 100ms"), m);
        assertTrue(m.contains("router.providers.leonardo-phoenix.credits.check-interval = 'PT0.099S': expected at least 100ms"), m);
    }

    @Test
    void withTheKeysSet_theSameFilesLoadOutsideSandbox() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "mode: auto", "mode: \"false\"");
        RouterConfig config = assertDoesNotThrow(() -> loader(Map.of("LEONARDO_API_KEY", "k1", "OPENAI_API_KEY", "k2"))
                .load(dir.configDir()));
        assertEquals(false, config.sandbox().enabled());
        assertEquals(Optional.of("k1"), config.providers().get("leonardo-phoenix").apiKey());
    }

    @Test
    void idempotencyKeysPerClient_isRead_andZeroIsReported() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        assertEquals(10_000, loader(Map.of()).load(dir.configDir()).cache().idempotencyKeysPerClient());
        dir.replace(dir.applicationFile(), "idempotency-keys-per-client: 10000", "idempotency-keys-per-client: 0");

        ConfigException e = assertThrows(ConfigException.class, () -> loader(Map.of()).load(dir.configDir()));

        assertTrue(e.getMessage().contains("router.cache.idempotency-keys-per-client = '0': expected an integer from 1 to 10000000"),
                e.getMessage());
    }

    @Test
    void disabledProvider_leavesTheChain() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.providerFile("leonardo-phoenix"), "enabled: true", "enabled: false");
        RouterConfig config = loader(Map.of()).load(dir.configDir());
        assertEquals(java.util.List.of("openai-gpt-image-2"), config.chain());
    }

    @Test
    void leonardoAccountLimits_shipOff_andNegativeValuesAreReported() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        RouterConfig shipped = loader(Map.of()).load(dir.configDir());
        assertEquals(0, shipped.sandbox().leonardoCreateLimit());
        assertEquals(java.time.Duration.ofMinutes(1), shipped.sandbox().leonardoCreateWindow());
        assertEquals(0, shipped.sandbox().leonardoConcurrentJobs());
        assertEquals(200, shipped.sandbox().leonardoPendingJobs());
        dir.replace(dir.applicationFile(), "leonardo-create-limit: 0", "leonardo-create-limit: -1");
        dir.replace(dir.applicationFile(), "leonardo-create-window: 1m", "leonardo-create-window: 0s");
        dir.replace(dir.applicationFile(), "leonardo-concurrent-jobs: 0", "leonardo-concurrent-jobs: -10");
        dir.replace(dir.applicationFile(), "leonardo-pending-jobs: 200", "leonardo-pending-jobs: -200");

        ConfigException e = assertThrows(ConfigException.class, () -> loader(Map.of()).load(dir.configDir()));

        String m = e.getMessage();
        assertTrue(m.contains("router.sandbox.leonardo-create-limit = '-1': expected an integer from 0 to 1000000"), m);
        assertTrue(m.contains("router.sandbox.leonardo-create-window = 'PT0S': expected a positive duration"), m);
        assertTrue(m.contains("router.sandbox.leonardo-concurrent-jobs = '-10': expected an integer from 0 to 100000"), m);
        assertTrue(m.contains("router.sandbox.leonardo-pending-jobs = '-200': expected an integer from 0 to 100000"), m);
    }

    @Test
    void filesOfOneLeonardoAccount_mustAgreeOnTheSharedLimits_orNameAnotherAccount() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.providerFile("leonardo-flux-pro-2"), "enabled: false", "enabled: true");
        dir.replace(dir.providerFile("leonardo-flux-pro-2"), "max-concurrent-calls: 10", "max-concurrent-calls: 4");

        ConfigException e = assertThrows(ConfigException.class, () -> loader(Map.of()).load(dir.configDir()));
        String m = e.getMessage();
        assertTrue(m.contains("leonardo-phoenix.yml") || m.contains("leonardo-flux-pro-2.yml"), m);
        assertTrue(m.contains("max-concurrent-calls=4") && m.contains("max-concurrent-calls=10")
                && m.contains("share account LEONARDO_API_KEY's rate limiter and bulkhead"), m);

        // a file naming another account has limits of its own
        dir.replace(dir.providerFile("leonardo-flux-pro-2"), "# account: leonardo-main", "account: leonardo-second-key");
        RouterConfig config = assertDoesNotThrow(() -> loader(Map.of()).load(dir.configDir()));
        assertEquals("leonardo-second-key", config.providers().get("leonardo-flux-pro-2").limitKey());
        assertEquals("LEONARDO_API_KEY", config.providers().get("leonardo-phoenix").limitKey());
        assertEquals("openai-gpt-image-2", config.providers().get("openai-gpt-image-2").limitKey());
    }

    @Test
    void everyShippedV2File_loadsWhenEnabled_andAV2FileNeedsAV1BaseUrl() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        java.util.List<String> v2 = java.util.List.of("leonardo-lucid-origin", "leonardo-flux-pro-2", "leonardo-ideogram-4-5",
                "leonardo-nano-banana-2", "leonardo-seedream-5-pro", "leonardo-gpt-image-2", "leonardo-recraft-v4");
        v2.forEach(name -> dir.replace(dir.providerFile(name), "enabled: false", "enabled: true"));
        RouterConfig config = assertDoesNotThrow(() -> loader(Map.of()).load(dir.configDir()));
        for (String name : v2) {
            assertEquals("leonardo-v2", config.providers().get(name).type(), name);
            assertTrue(config.providers().get(name).settings().adapter() instanceof dev.imagerouter.provider.leonardov2.LeonardoV2Settings,
                    name);
        }

        dir.replace(dir.providerFile("leonardo-flux-pro-2"), "base-url: ${LEONARDO_BASE_URL:https://cloud.leonardo.ai/api/rest/v1}",
                "base-url: https://cloud.leonardo.ai/api/rest/v2");
        dir.replace(dir.providerFile("leonardo-gpt-image-2"), "# catalog-name: GPT Image 2", "catalog-id: gpt-image-2");
        ConfigException e = assertThrows(ConfigException.class, () -> loader(Map.of()).load(dir.configDir()));
        assertTrue(e.getMessage().contains("router.providers.leonardo-flux-pro-2.base-url = 'https://cloud.leonardo.ai/api/rest/v2':"
                + " expected Leonardo's v1 base URL, ending in /v1"), e.getMessage());
        assertTrue(e.getMessage().contains("router.providers.leonardo-gpt-image-2.catalog-id = 'gpt-image-2': expected the model's UUID"),
                e.getMessage());
    }
}
