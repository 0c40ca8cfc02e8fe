package dev.imagerouter.callbacks;

import dev.imagerouter.config.ConfigLoader;
import dev.imagerouter.config.ConfigOverrides;
import dev.imagerouter.config.ProviderAdapters;
import dev.imagerouter.routing.Chain;
import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.testing.TestConfigDir;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Router configurations for the callback tests, loaded from a copy of the repository's files the way the router
 * loads them: environment variables through {@link ConfigOverrides} (so {@code ROUTER_CALLBACKS_ALLOWED_HOSTS} maps
 * to {@code router.callbacks.allowed-hosts}) and {@code ROUTER_CALLBACK_SECRET} through the environment lookup.
 */
final class CallbackConfigs {

    private CallbackConfigs() {
    }

    /** Sandbox mode (no provider key set) with these environment variables. */
    static RouterConfig sandbox(Map<String, String> env) {
        return load(env, UnaryOperator.identity());
    }

    /** Live mode (ROUTER_SANDBOX=false, both provider keys set) with these environment variables. */
    static RouterConfig live(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.put("ROUTER_SANDBOX", "false");
        all.put("LEONARDO_API_KEY", "test-leonardo-key");
        all.put("OPENAI_API_KEY", "test-openai-key");
        return load(all, UnaryOperator.identity());
    }

    /** Loads with the application file edited by {@code edit} first. */
    static RouterConfig load(Map<String, String> env, UnaryOperator<String> edit) {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.write(dir.applicationFile(), edit.apply(read(dir)));
        return new ConfigLoader(new ConfigOverrides(null, env::get), env::get, ProviderAdapters::validate).load(dir.configDir());
    }

    private static String read(TestConfigDir dir) {
        try {
            return java.nio.file.Files.readString(dir.applicationFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static RunningRouter running(RouterConfig config) {
        return new RunningRouter() {
            @Override
            public RouterConfig config() {
                return config;
            }

            @Override
            public Chain chain() {
                throw new UnsupportedOperationException("callbacks never read the chain");
            }
        };
    }

    /** A fresh Standard Webhooks secret: whsec_ and the base64 of 32 random bytes. */
    static String newSecret() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }
}
