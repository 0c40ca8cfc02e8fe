package dev.imagerouter.config;

import dev.imagerouter.settings.RouterConfig;

import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.routing.Chain;
import dev.imagerouter.routing.ProviderRegistry;
import dev.imagerouter.sandbox.SandboxState;
import io.micronaut.context.BeanProvider;
import io.micronaut.context.env.Environment;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The live configuration: loads it at startup (failing startup with every problem listed), points
 * providers at the emulators in sandbox mode, builds the chain, and applies reloads atomically.
 * Thread-safe.
 */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Singleton
public class RouterRuntime implements dev.imagerouter.routing.RunningRouter {

    private static final Logger LOG = LoggerFactory.getLogger(RouterRuntime.class);

    private final Environment environment;
    private final ProviderRegistry registry;
    private final SandboxState sandboxState;
    private final dev.imagerouter.sandbox.SandboxImages sandboxImages;
    private final BeanProvider<EmbeddedServer> server;
    private final Path configDir;
    private final AtomicReference<RouterConfig> config = new AtomicReference<>();
    private volatile boolean chainBuilt;

    /**
     * @param sandboxState  the emulators' state, present only in sandbox mode
     * @param sandboxImages the emulators' renderer, present only in sandbox mode
     */
    public RouterRuntime(Environment environment, ProviderRegistry registry,
                         @io.micronaut.core.annotation.Nullable SandboxState sandboxState,
                         @io.micronaut.core.annotation.Nullable dev.imagerouter.sandbox.SandboxImages sandboxImages,
                         BeanProvider<EmbeddedServer> server, RouterBeans.ConfigBootstrap bootstrap) {
        this.environment = environment;
        this.registry = registry;
        this.sandboxState = sandboxState;
        this.sandboxImages = sandboxImages;
        this.server = server;
        this.configDir = bootstrap.configDir();
        RouterConfig loaded = bootstrap.config();
        config.set(loaded);
        if (sandboxState != null && sandboxImages != null) {
            SandboxWiring.configure(sandboxState, sandboxImages, loaded);
            // the Leonardo emulator's late fault reads the calling instance's timeout from the running configuration
            sandboxState.setProviderTimeouts(name -> Optional.ofNullable(config.get().providers().get(name))
                    .map(ProviderConfig::timeout));
        }
        LOG.info("mode: {} ({})", loaded.sandbox().enabled() ? "sandbox" : "live", loaded.sandbox().modeReason());
        if (loaded.sandbox().enabled()) {
            LOG.warn("SANDBOX MODE: providers are the in-process emulators; no real provider is called");
        }
        LOG.info("configuration loaded from {} (chain {})", configDir.toAbsolutePath(), loaded.chain());
    }

    /** A loader whose overrides come from Micronaut's properties (environment variables, system and test properties). */
    public ConfigLoader loader() {
        return RouterBeans.ConfigBootstrap.loader(environment);
    }

    public Path configDir() {
        return configDir;
    }

    @Override
    public RouterConfig config() {
        return config.get();
    }

    /** Builds the chain as soon as the server listens, so the first request pays nothing for it. */
    @EventListener
    void onStartup(ServerStartupEvent event) {
        chain();
    }

    /** The chain new requests use; built on first use, once the server's port is known. */
    @Override
    public Chain chain() {
        if (!chainBuilt) {
            synchronized (this) {
                if (!chainBuilt) {
                    apply(config.get());
                    chainBuilt = true;
                }
            }
        }
        return registry.current();
    }

    /**
     * Makes {@code next} the running configuration (already validated by the loader).
     *
     * @return the new chain
     */
    public synchronized Chain apply(RouterConfig next) {
        Map<String, ProviderConfig> resolved = new LinkedHashMap<>();
        for (ProviderConfig p : next.providers().values()) {
            resolved.put(p.name(), next.sandbox().enabled() ? toSandbox(p) : p);
        }
        Chain chain = registry.apply(next.chain(), resolved);
        config.set(next);
        chainBuilt = true;
        return chain;
    }

    private ProviderConfig toSandbox(ProviderConfig p) {
        String base = "http://127.0.0.1:" + server.get().getPort();
        ProviderAdapters.ProviderType type = ProviderAdapters.type(p.type())
                .orElseThrow(() -> new IllegalStateException("unknown provider type " + p.type()));
        String url = base + type.sandboxBasePath();
        String key = type.sandboxKey();
        return p.withEndpoint(url, key);
    }

}
