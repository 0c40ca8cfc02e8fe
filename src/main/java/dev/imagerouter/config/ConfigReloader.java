package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.settings.RouterConfig;

import dev.imagerouter.vocabulary.MetricNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/*
 * Hot reload
 * ----------
 * A change under config/ or providers/ (file watch, debounced) or POST /admin/reload reads and
 * validates the whole configuration again. Valid: it becomes the running one atomically (new
 * requests use the new chain; requests in flight finish on the snapshot they started with; breaker,
 * rate-limiter and cooldown state of unchanged providers carry over). Invalid: rejected as a whole,
 * logged with every problem, counted, and the running configuration stays.
 * Storage, download and cache settings are read at startup only; a reload that changes them says so.
 */
/** Reloads the configuration on demand and on file changes. Thread-safe. */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Context
public class ConfigReloader implements ApplicationEventListener<ServerStartupEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    /**
     * What a reload did.
     *
     * @param applied  whether the new configuration is now running
     * @param chain    the chain running after the reload
     * @param problems every problem found, when rejected
     */
    public record Result(boolean applied, List<String> chain, List<String> problems) {
    }

    /**
     * The last reload, for the readiness details.
     *
     * @param applied  whether it became the running configuration
     * @param at       when it finished
     * @param problems how many problems rejected it (their texts are in the log and the 422 answer)
     */
    public record LastReload(boolean applied, java.time.Instant at, int problems) {
    }

    private final RouterRuntime runtime;
    private final Counter successes;
    private final Counter failures;
    private final boolean watch;
    private final Duration debounce;
    private volatile WatchService watcher;
    private volatile Thread watchThread;
    private volatile LastReload lastReload;

    public ConfigReloader(RouterRuntime runtime, MeterRegistry registry) {
        this.runtime = runtime;
        this.watch = runtime.config().reload().watch();
        this.debounce = runtime.config().reload().debounce();
        this.successes = Counter.builder(MetricNames.CONFIG_RELOADS).tag("result", "success")
                .description("Configuration reloads").register(registry);
        this.failures = Counter.builder(MetricNames.CONFIG_RELOADS).tag("result", "failure")
                .description("Configuration reloads").register(registry);
    }

    /** The last reload since startup, if any. */
    public java.util.Optional<LastReload> lastReload() {
        return java.util.Optional.ofNullable(lastReload);
    }

    /** Reads, validates and applies the configuration files now. */
    public synchronized Result reload() {
        Result result = load();
        lastReload = new LastReload(result.applied(), java.time.Instant.now(), result.problems().size());
        return result;
    }

    private Result load() {
        RouterConfig before = runtime.config();
        RouterConfig next;
        try {
            next = runtime.loader().load(runtime.configDir());
        } catch (ConfigException e) {
            failures.increment();
            LOG.error("configuration reload rejected; the running configuration stays. {}", e.getMessage());
            return new Result(false, runtime.chain().names(), e.problems());
        } catch (RuntimeException e) {
            failures.increment();
            LOG.error("configuration reload failed; the running configuration stays: {}", e.toString());
            return new Result(false, runtime.chain().names(), List.of(e.toString()));
        }
        if (before.sandbox().enabled() != next.sandbox().enabled()) {
            // the mode is fixed at startup: a half-applied switch would point live providers at emulators
            // that do not exist, or open a sandbox on a production process
            failures.increment();
            String problem = "the sandbox mode is fixed at startup: this reload would switch it from "
                    + (before.sandbox().enabled() ? "sandbox" : "live") + " to " + (next.sandbox().enabled() ? "sandbox" : "live")
                    + " (" + next.sandbox().modeReason() + "); restart the router to change the mode";
            LOG.error("configuration reload rejected; the running configuration stays. {}", problem);
            return new Result(false, runtime.chain().names(), List.of(problem));
        }
        warnAboutRestartOnlySettings(before, next);
        List<String> chain = runtime.apply(next).names();
        successes.increment();
        LOG.info("configuration reloaded; chain {}", chain);
        return new Result(true, chain, List.of());
    }

    private static void warnAboutRestartOnlySettings(RouterConfig before, RouterConfig next) {
        if (!Objects.equals(before.storage(), next.storage()) || !Objects.equals(before.download(), next.download())
                || !Objects.equals(before.cache(), next.cache())) {
            LOG.warn("router.storage and router.cache changed in the files: they apply at the next restart");
        }
    }

    @Override
    public void onApplicationEvent(ServerStartupEvent event) {
        if (watch) {
            startWatching();
        }
    }

    private void startWatching() {
        Path configDir = runtime.configDir().toAbsolutePath().normalize();
        Path providersDir = Files.isDirectory(configDir.resolve("providers")) ? configDir.resolve("providers")
                : configDir.getParent().resolve("providers");
        try {
            watcher = FileSystems.getDefault().newWatchService();
            for (Path dir : List.of(configDir, providersDir)) {
                if (Files.isDirectory(dir)) {
                    dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                            StandardWatchEventKinds.ENTRY_DELETE);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot watch {} for changes ({}); use POST /admin/reload", configDir, e.toString());
            return;
        }
        watchThread = new Thread(this::watchLoop, "config-watch");
        watchThread.setDaemon(true);
        watchThread.start();
        LOG.info("watching {} and {} for configuration changes", configDir, providersDir);
    }

    private void watchLoop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                WatchKey key = watcher.take();
                boolean relevant = key.pollEvents().stream()
                        .anyMatch(e -> e.context() instanceof Path p && isConfigChange(p.getFileName().toString()));
                key.reset();
                if (!relevant) {
                    continue;
                }
                // Debounce: editors write files in several steps; wait until the burst is over.
                WatchKey more;
                while ((more = watcher.poll(debounce.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                    more.pollEvents();
                    more.reset();
                }
                reload();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("configuration watcher stopped: {}", e.toString());
        }
    }

    /**
     * A YAML file of ours changed, or a Kubernetes ConfigMap volume was updated: the kubelet writes the
     * new files into a fresh hidden directory and swaps the {@code ..data} symlink to it in one rename,
     * so the visible {@code *.yml} symlinks never change themselves; only {@code ..data} does.
     */
    static boolean isConfigChange(String fileName) {
        return fileName.matches("[^.].*\\.ya?ml") || fileName.equals("..data");
    }

    @PreDestroy
    void close() throws IOException {
        if (watchThread != null) {
            watchThread.interrupt();
        }
        if (watcher != null) {
            watcher.close();
        }
    }
}
