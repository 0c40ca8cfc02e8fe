package dev.imagerouter.config;

import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.sandbox.EmulatorsCondition;
import dev.imagerouter.sandbox.SandboxImages;
import dev.imagerouter.sandbox.SandboxKeys;
import dev.imagerouter.sandbox.SandboxState;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.env.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The wiring of the emulators process ({@code java -jar image-router.jar emulators}): reads
 * {@code router.sandbox.*} from the configuration directory (files, environment variables such as
 * {@code ROUTER_SANDBOX_PENDING_MIN}, system properties) and switches the emulators on. The router's
 * own beans do not exist in this process (their packages require another environment), so it serves
 * only {@code /sandbox/**} and {@code /health}. The {@code late} fault takes a calling instance's
 * timeout from this process's provider files, else {@code router.sandbox.late-timeout}.
 */
@Context
@Requires(env = EmulatorsCondition.EMULATORS_ENV)
public class EmulatorsProcess {

    private static final Logger LOG = LoggerFactory.getLogger(EmulatorsProcess.class);

    public EmulatorsProcess(Environment environment, SandboxState state, SandboxImages images) {
        Path configDir = Path.of(environment.getProperty("router.config-dir", String.class)
                .orElseGet(() -> Optional.ofNullable(System.getenv("ROUTER_CONFIG_DIR")).orElse("config")));
        ConfigOverrides overrides = new ConfigOverrides(environment, System::getenv);
        // the emulators need no provider key, whatever keys the environment holds: sandbox settings only
        ConfigLoader loader = new ConfigLoader(key -> "router.sandbox.mode".equals(key) ? Optional.of("true") : overrides.apply(key),
                System::getenv, ProviderAdapters::validate);
        RouterConfig config = loader.load(configDir);
        SandboxWiring.configure(state, images, config);
        state.setProviderTimeouts(name -> Optional.ofNullable(config.providers().get(name)).map(ProviderConfig::timeout));
        LOG.info("emulators only: Leonardo REST API v1 at {} and v2 at {} (key {}), OpenAI Images API at {} (key {}); no router",
                SandboxKeys.LEONARDO_BASE_PATH, SandboxKeys.LEONARDO_V2_BASE_PATH, SandboxKeys.LEONARDO_API_KEY,
                SandboxKeys.OPENAI_BASE_PATH, SandboxKeys.OPENAI_API_KEY);
    }
}
