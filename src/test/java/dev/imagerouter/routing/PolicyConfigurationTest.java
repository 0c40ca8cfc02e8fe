package dev.imagerouter.routing;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.config.ConfigLoader;
import dev.imagerouter.config.ProviderAdapters;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyAction;
import dev.imagerouter.sandbox.SandboxStats;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #3: the policy table is configuration — overrides change behaviour, mistakes stop startup. */
class PolicyConfigurationTest {

    private static ConfigLoader loader() {
        return new ConfigLoader(key -> Optional.empty(), name -> null, ProviderAdapters::validate);
    }

    @Test
    void theShippedTable_hasTheDesignDefaults() {
        var config = loader().load(TestConfigDir.copyOfRepository().configDir());
        assertEquals(PolicyAction.FALLBACK, config.policy().action(FailureKind.RATE_LIMITED));
        assertEquals(PolicyAction.RETRY, config.policy().action(FailureKind.SERVER_ERROR));
        assertEquals(1, config.policy().rule(FailureKind.SERVER_ERROR).orElseThrow().maxRetries());
        assertEquals(java.time.Duration.ofSeconds(2), config.policy().rule(FailureKind.SERVER_ERROR).orElseThrow().backoff());
        assertEquals(PolicyAction.FAIL, config.policy().action(FailureKind.CONTENT_REJECTED));
        assertTrue(config.policy().rule(FailureKind.GENERATION_FAILED).orElseThrow().logPrompt());
        assertTrue(config.policy().rule(FailureKind.QUOTA_EXHAUSTED).orElseThrow().alert());
    }

    @Test
    void misspelledFailureKind_failsStartup_namingFileKeyAndValue() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "RATE_LIMITED:       {", "RATE_LIMTED:       {");

        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(dir.configDir()));
        assertTrue(e.getMessage().contains("RATE_LIMTED"), e.getMessage());
        assertTrue(e.getMessage().contains("application.yml"), e.getMessage());
        assertTrue(e.getMessage().contains("router.policy.RATE_LIMTED"), e.getMessage());
        // and the missing row is reported in the same message
        assertTrue(e.getMessage().contains("RATE_LIMITED"), e.getMessage());

        Exception startup = assertThrows(Exception.class, () -> ApplicationContext.run(EmbeddedServer.class,
                Map.of("router.config-dir", dir.configDir().toString(), "router.storage.dir",
                        RouterTestSupport.tempDir("images").toString())));
        Throwable root = startup;
        boolean named = false;
        for (Throwable t = startup; t != null; t = t.getCause()) {
            named |= String.valueOf(t.getMessage()).contains("RATE_LIMTED");
            root = t;
        }
        assertTrue(named, "startup failure does not name the misspelled kind: " + root);
    }

    @Test
    void unknownActionAndUnknownChainEntry_areAllReportedAtOnce() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "TIMEOUT:            { action: FALLBACK,", "TIMEOUT:            { action: RETRI,");
        dir.replace(dir.applicationFile(), "    - openai-gpt-image-2", "    - openai-gpt-image-2\n    - nope");
        dir.replace(dir.providerFile("leonardo-phoenix"), "policy: {}", "policy:\n  NOT_A_KIND: { action: FALLBACK }");

        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(dir.configDir()));
        assertTrue(e.getMessage().contains("RETRI"), e.getMessage());
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        assertTrue(e.getMessage().contains("NOT_A_KIND") && e.getMessage().contains("leonardo-phoenix.yml"), e.getMessage());
        assertEquals(3, e.problems().size(), e.getMessage());
    }

    @Test
    void contentRejectedOverriddenToFallback_inLeonardosFile_fallsBackToOpenAi() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.providerFile("leonardo-phoenix"), "policy: {}", "policy:\n  CONTENT_REJECTED: { action: FALLBACK }");
        Map<String, Object> props = new java.util.HashMap<>(RouterTestSupport.fastSandbox());
        props.put("router.config-dir", dir.configDir().toString());
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, props)) {
            ApiClient api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
            SandboxStats stats = server.getApplicationContext().getBean(SandboxStats.class);

            ApiClient.Response r = api.generate("{\"prompt\":\"override " + UUID.randomUUID() + "\"}",
                    "X-Sandbox-Fault", "leonardo=moderation");

            assertEquals(200, r.status(), r.text());
            assertEquals("openai-gpt-image-2", r.router().get("provider"));
            assertEquals("CONTENT_REJECTED", r.attempts().get(0).get("failure_kind"));
            assertEquals(1, stats.openAiGenerates());
        }
    }

    @Test
    void openAiRetryAfter_isHonouredAsTheRetryDelay_whenRateLimitedIsARetryRow() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.providerFile("openai-gpt-image-2"), "policy: {}",
                "policy:\n  RATE_LIMITED: { action: RETRY, max-retries: 1, backoff: 10ms, retry-after-cap: 5s }");
        Map<String, Object> props = new java.util.HashMap<>(RouterTestSupport.fastSandbox());
        props.put("router.config-dir", dir.configDir().toString());
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, props)) {
            ApiClient api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
            SandboxStats stats = server.getApplicationContext().getBean(SandboxStats.class);

            ApiClient.Response r = api.generate("{\"prompt\":\"retry after " + UUID.randomUUID() + "\"}",
                    "X-Sandbox-Fault", "leonardo=bad_request,openai=429");

            assertEquals(2, stats.openAiGenerates(), r.text());
            var times = stats.createTimestamps(dev.imagerouter.sandbox.EmulatorType.OPENAI);
            long gapMillis = (times.get(1) - times.get(0)) / 1_000_000;
            // the emulator sends retry-after: 1 (WIRE.md §2.3); the row's own backoff is 10 ms
            assertTrue(gapMillis >= 950, "second OpenAI call after " + gapMillis + " ms, expected the 1 s Retry-After");
        }
    }
}
