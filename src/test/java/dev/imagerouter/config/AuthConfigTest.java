package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.settings.AuthConfig;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.vocabulary.Secret;

import dev.imagerouter.sandbox.SandboxKeys;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading router.auth.* and router.webhooks.*: names, validation that never shows a key, masking. */
class AuthConfigTest {

    static final String CI = "ci-key-aaaaaaaaaaaaaaaa";
    static final String BARE = "bare-key-bbbbbbbbbbbbbbbb";
    static final String ADMIN = "admin-key-cccccccccccccccc";

    private static RouterConfig load(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(overrides);
        all.putIfAbsent("router.sandbox.mode", "true");
        return new ConfigLoader(key -> Optional.ofNullable(all.get(key)), name -> null).load(Path.of("config"));
    }

    @Test
    void namedAndBareKeys_authenticateToTheirNames_inConstantTimeOverAllKeys() {
        AuthConfig auth = load(Map.of("router.auth.api-keys", "ci:" + CI + " , " + BARE, "router.auth.admin-key", ADMIN)).auth();

        assertEquals(List.of("ci", "client-2"), auth.clients().stream().map(AuthConfig.ClientKey::name).toList());
        assertEquals(Optional.of("ci"), auth.authenticate(CI));
        assertEquals(Optional.of("client-2"), auth.authenticate(BARE));
        assertEquals(Optional.empty(), auth.authenticate(CI + "x"));
        assertEquals(Optional.empty(), auth.authenticate(ADMIN));
        assertTrue(auth.adminKey().orElseThrow().matches(ADMIN));
        assertFalse(auth.adminKey().orElseThrow().matches(CI));
    }

    @Test
    void noKeys_meansNoClients_andSandboxGetsTheBuiltInWebhookKey() {
        RouterConfig config = load(Map.of());
        assertTrue(config.auth().clients().isEmpty());
        assertTrue(config.auth().adminKey().isEmpty());
        assertTrue(config.auth().leonardoWebhookKey().orElseThrow().matches(SandboxKeys.LEONARDO_WEBHOOK_KEY));
        assertEquals(new AuthConfig.Limits(0, 0), config.auth().limits());
        assertEquals(32000, config.api().maxPromptLength());
    }

    @Test
    void outsideSandbox_noWebhookKeyMeansNone() {
        Map<String, String> o = new HashMap<>();
        o.put("router.sandbox.mode", "false");
        o.put("router.providers.leonardo-phoenix.api-key-env", "PATH");
        o.put("router.providers.openai-gpt-image-2.api-key-env", "PATH");
        RouterConfig config = new ConfigLoader(key -> Optional.ofNullable(o.get(key)), System::getenv).load(Path.of("config"));
        assertTrue(config.auth().leonardoWebhookKey().isEmpty());
    }

    @Test
    void badKeys_areReportedTogether_withoutShowingAnyKey() {
        String shortKey = "short-key-123";
        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of(
                "router.auth.api-keys", "ci:" + CI + ",ci:" + BARE + ",bad name:" + BARE + "," + shortKey,
                "router.auth.admin-key", CI,
                "router.webhooks.leonardo-key", "tiny-hook")));

        String message = e.getMessage();
        assertTrue(message.contains("each client name at most once"), message);
        assertTrue(message.contains("a client name of letters"), message);
        assertTrue(message.contains("at least 16 characters"), message);
        assertTrue(message.contains("router.auth.admin-key"), message);
        assertTrue(message.contains("router.webhooks.leonardo-key"), message);
        for (String secret : List.of(CI, BARE, shortKey, "tiny-hook")) {
            assertFalse(message.contains(secret), "the message shows a key: " + message);
        }
    }

    @Test
    void limitsAndPromptCap_areRead_andChecked() {
        RouterConfig config = load(Map.of("router.auth.limits.requests-per-minute", "60", "router.auth.limits.images-per-day", "500",
                "router.api.max-prompt-length", "4000"));
        assertEquals(new AuthConfig.Limits(60, 500), config.auth().limits());
        assertEquals(4000, config.api().maxPromptLength());

        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of("router.auth.limits.requests-per-minute", "-1",
                "router.api.max-prompt-length", "0")));
        assertTrue(e.getMessage().contains("router.auth.limits.requests-per-minute") && e.getMessage().contains("router.api.max-prompt-length"),
                e.getMessage());
    }

    @Test
    void effectiveViewAndToString_maskEveryKey() {
        RouterConfig config = load(Map.of("router.auth.api-keys", "ci:" + CI, "router.auth.admin-key", ADMIN,
                "router.webhooks.leonardo-key", "webhook-key-dddddddddddd"));

        String effective = config.effective().toString();
        String text = config.auth().toString() + config.auth().adminKey().orElseThrow() + config.auth().clients();
        for (String secret : List.of(CI, ADMIN, "webhook-key-dddddddddddd")) {
            assertFalse(effective.contains(secret), effective);
            assertFalse(text.contains(secret), text);
        }
        assertTrue(effective.contains("ci:****"), effective);
    }

    @Test
    void secret_comparesByDigest() {
        Secret s = Secret.of("some-secret-value-1234");
        assertTrue(s.matches("some-secret-value-1234"));
        assertFalse(s.matches("some-secret-value-123"));
        assertFalse(s.matches(null));
        assertEquals(Secret.of("some-secret-value-1234"), s);
        assertEquals("****", s.toString());
        assertThrows(IllegalArgumentException.class, () -> Secret.of(""));
    }
}
