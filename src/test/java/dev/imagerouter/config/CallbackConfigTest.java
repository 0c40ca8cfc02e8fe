package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.settings.CallbackSettings;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.testing.TestConfigDir;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code router.callbacks.*} and {@code ROUTER_CALLBACK_SECRET}, read by the loader with environment overrides. */
class CallbackConfigTest {

    private static final String GOOD_SECRET = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);

    private static RouterConfig load(TestConfigDir dir, Map<String, String> env) {
        return new ConfigLoader(new ConfigOverrides(null, env::get), env::get, ProviderAdapters::validate).load(dir.configDir());
    }

    private static Map<String, String> live(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(Map.of("ROUTER_SANDBOX", "false", "LEONARDO_API_KEY", "k1", "OPENAI_API_KEY", "k2"));
        return all;
    }

    @Test
    void theShippedFile_inSandboxMode_hasNoHosts_theSandboxSecret_andTheDefaultTimings() {
        CallbackSettings c = load(TestConfigDir.copyOfRepository(), Map.of()).callbacks();

        assertEquals(Set.of(), c.allowedHosts());
        assertTrue(c.usesSandboxSecret());
        assertTrue(c.secret().orElseThrow().matches(CallbackSettings.SANDBOX_SECRET));
        assertEquals(Duration.ofSeconds(5), c.initialBackoff());
        assertEquals(Duration.ofHours(2), c.maxBackoff());
        assertEquals(Duration.ofHours(24), c.maxAge());
        assertEquals(Duration.ofSeconds(10), c.timeout());
        assertTrue(CallbackSettings.secretProblem(CallbackSettings.SANDBOX_SECRET).isEmpty(), "the sandbox secret is well-formed");
    }

    @Test
    void liveMode_withoutTheVariable_hasNoSecret_andWithIt_usesIt() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        assertTrue(load(dir, live(Map.of())).callbacks().secret().isEmpty());

        RouterConfig config = load(dir, live(Map.of("ROUTER_CALLBACK_SECRET", GOOD_SECRET + "\n")));
        CallbackSettings c = config.callbacks();
        assertTrue(c.secret().orElseThrow().matches(GOOD_SECRET));
        assertFalse(c.usesSandboxSecret());
        assertFalse(c.toString().contains(GOOD_SECRET.substring(6)), c.toString());
        assertFalse(config.effective().toString().contains(GOOD_SECRET.substring(6)), "the admin view shows the secret");
    }

    @Test
    void allowedHosts_comeFromTheEnvironmentCommaSeparated_andTimingsFromTheFile() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "initial-backoff: 5s", "initial-backoff: 1s");
        dir.replace(dir.applicationFile(), "max-age: 24h", "max-age: 6h");

        CallbackSettings c = load(dir, Map.of("ROUTER_CALLBACKS_ALLOWED_HOSTS", "*.Example.com, hooks.internal.example")).callbacks();

        assertEquals(Set.of("*.example.com", "hooks.internal.example"), c.allowedHosts());
        assertTrue(c.matchesWildcard("a.example.com") && !c.matchesWildcard("example.com"));
        assertTrue(c.listedExactly("HOOKS.internal.example"));
        assertEquals(Duration.ofSeconds(1), c.initialBackoff());
        assertEquals(Duration.ofHours(6), c.maxAge());
    }

    @Test
    void aMalformedSecret_failsLoading_namingTheVariable_neverShowingTheValue() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        String[] bad = {
                "not-a-whsec-secret-but-long-enough-0123456789",          // no prefix
                "whsec_this is !!! not base64 at all, really not",       // not base64
                "whsec_" + Base64.getEncoder().encodeToString(new byte[16]),  // too short
                "whsec_" + Base64.getEncoder().encodeToString(new byte[65])}; // too long
        for (String secret : bad) {
            for (Map<String, String> env : java.util.List.of(Map.of("ROUTER_CALLBACK_SECRET", secret),
                    live(Map.of("ROUTER_CALLBACK_SECRET", secret)))) {
                ConfigException e = assertThrows(ConfigException.class, () -> load(dir, env), secret);
                String m = e.getMessage();
                assertTrue(m.contains("ROUTER_CALLBACK_SECRET"), m);
                assertFalse(m.contains(secret), m);
                assertFalse(m.contains(secret.substring(6)), m);
            }
        }
    }

    @Test
    void aSecretInTheFile_badHosts_andABackoffCapBelowTheStart_areReported() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "allowed-hosts: []", "allowed-hosts: [\"https://hooks.example.com/x\"]\n    secret: "
                + GOOD_SECRET);
        dir.replace(dir.applicationFile(), "max-backoff: 2h", "max-backoff: 1s");

        ConfigException e = assertThrows(ConfigException.class, () -> load(dir, Map.of()));

        String m = e.getMessage();
        assertTrue(m.contains("router.callbacks.secret = '(hidden)'") && m.contains("ROUTER_CALLBACK_SECRET only"), m);
        assertFalse(m.contains(GOOD_SECRET.substring(6)), m);
        assertTrue(m.contains("router.callbacks.allowed-hosts") && m.contains("must be host names"), m);
        assertTrue(m.contains("router.callbacks.max-backoff") && m.contains("at least initial-backoff"), m);
    }
}
