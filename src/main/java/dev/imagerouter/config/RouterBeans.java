package dev.imagerouter.config;

import dev.imagerouter.settings.RouterConfig;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.imagerouter.cache.RequestHasher;
import dev.imagerouter.cache.ResultCache;
import io.micrometer.core.instrument.MeterRegistry;
import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.provider.leonardo.LeonardoWebhooks;
import dev.imagerouter.routing.ProviderGate;
import dev.imagerouter.routing.ProviderRegistry;
import dev.imagerouter.routing.ProviderResilience;
import dev.imagerouter.routing.Router;
import dev.imagerouter.routing.RoutingListener;
import dev.imagerouter.provider.DownloadSettings;
import dev.imagerouter.provider.ImageDownloader;
import dev.imagerouter.storage.ImageNormaliser;
import dev.imagerouter.storage.FileSync;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.storage.StorageProbe;
import dev.imagerouter.storage.StoreSweeper;
import dev.imagerouter.vocabulary.MetricNames;
import io.micrometer.core.instrument.Gauge;
import io.micronaut.context.annotation.Context;
import jakarta.inject.Provider;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wires the router's plain classes into beans. The configuration is read once here (through
 * {@link ConfigBootstrap}) for the settings that need a restart to change: storage and downloads.
 */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Factory
public class RouterBeans {

    /** Schedules every delay in the request path (polls, retries, time limits); never runs blocking work. */
    @Singleton
    @Named("router-scheduler")
    @Bean(preDestroy = "shutdownNow")
    ScheduledExecutorService scheduler() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(2, daemonThreads("router-scheduler"));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** CPU-bound image work (decode, crop, resize, encode, hashing, file writes), bounded to the cores. */
    @Singleton
    @Named("image-work")
    @Bean(preDestroy = "shutdown")
    ExecutorService imageWork() {
        return Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), daemonThreads("image-work"));
    }

    /**
     * Image store writes: fsync waits on the disk (10–20 ms on this kind of machine), not on a core,
     * so they get their own fixed pool rather than holding the CPU-sized image-work pool. The OpenAI
     * transport also completes its responses here, so an OpenAI generation is parsed, checked and
     * stored on one thread (see StorageThreads).
     */
    @Singleton
    @Named("storage-io")
    @Bean(preDestroy = "shutdown")
    ExecutorService storageIo() {
        return Executors.newFixedThreadPool(8, dev.imagerouter.storage.StorageThreads.factory("storage-io"));
    }

    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    @Singleton
    ConfigBootstrap bootstrap(io.micronaut.context.env.Environment environment) {
        return new ConfigBootstrap(environment);
    }

    /** How the image store forces files and directories to disk; tests replace it to record or fail the calls. */
    @Singleton
    FileSync fileSync() {
        return FileSync.DEFAULT;
    }

    /**
     * Store upkeep that may block on the disk: the writability probe and the sweep. Two threads, so
     * a probe never waits behind a long sweep; never used for requests.
     */
    @Singleton
    @Named("storage-maintenance")
    @Bean(preDestroy = "shutdownNow")
    ScheduledExecutorService storageMaintenance() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(2, daemonThreads("storage-maintenance"));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /**
     * In {@code router.storage.dir}, or the bucket of {@code router.storage.s3.*} (credentials from the AWS
     * SDK's default chain, never logged). A failed image or record write, or a bucket that cannot be read,
     * asks the probe to re-check at once (the probe is created after the store). Closed by
     * {@code storage.StorageShutdown} once the storage-io workers have finished their writes.
     */
    @Singleton
    ImageStore imageStore(ConfigBootstrap bootstrap, JsonMapper json, FileSync sync, Provider<StorageProbe> probe,
                          dev.imagerouter.tracing.Tracing tracing) {
        ImageStore store = new ImageStore(bootstrap.config().storage(), json, sync, () -> probe.get().recheckSoon(), tracing);
        org.slf4j.LoggerFactory.getLogger(RouterBeans.class).info("image store: {}{}", store.inBucket() ? "bucket " : "directory ",
                store.describe());
        return store;
    }

    /** Probed at startup and every {@code router.storage.probe-interval}; exported as {@code image_router_storage_writable}. */
    @Context
    @Bean(preDestroy = "close")
    StorageProbe storageProbe(ConfigBootstrap bootstrap, ImageStore store, Clock clock,
                              @Named("storage-maintenance") ScheduledExecutorService maintenance, MeterRegistry registry) {
        StorageProbe probe = new StorageProbe(store, clock, bootstrap.config().storage().probeInterval(), maintenance);
        probe.start();
        Gauge.builder(MetricNames.STORAGE_WRITABLE, probe, p -> p.writable() ? 1 : 0)
                .description("1 while the image store can be written, 0 while cache misses are refused").register(registry);
        return probe;
    }

    /** Deletes records past {@code router.cache.ttl} and abandoned temporary files, every {@code router.storage.sweep-interval}. */
    @Context
    @Bean(preDestroy = "close")
    StoreSweeper storeSweeper(ConfigBootstrap bootstrap, ImageStore store, Clock clock,
                              @Named("storage-maintenance") ScheduledExecutorService maintenance, MeterRegistry registry) {
        StoreSweeper sweeper = new StoreSweeper(store, bootstrap.config().cache().ttl(), clock, registry);
        sweeper.start(maintenance, bootstrap.config().storage().sweepInterval());
        return sweeper;
    }

    @Singleton
    @Bean(preDestroy = "close")
    ImageDownloader imageDownloader(ConfigBootstrap bootstrap) {
        RouterConfig config = bootstrap.config();
        DownloadSettings download = config.download();
        if (config.sandbox().enabled() && config.sandbox().allowEmulatorDownloads()) {
            Set<String> hosts = new HashSet<>(download.allowedHosts());
            hosts.add("127.0.0.1");
            hosts.add("localhost");
            download = new DownloadSettings(hosts, download.maxBytes(), download.timeout());
        }
        return new ImageDownloader(download);
    }

    @Singleton
    Ticker cacheTicker() {
        return Ticker.systemTicker();
    }

    /**
     * Records are read on the image-work pool from disk (microseconds), on the storage-io pool from a
     * bucket: a GET and a HEAD per image wait on the network, which must not hold the CPU-sized pool.
     */
    @Singleton
    ResultCache resultCache(ConfigBootstrap bootstrap, ImageStore store, @Named("image-work") ExecutorService imageWork,
                            @Named("storage-io") ExecutorService storageIo, Clock clock, Ticker ticker, MeterRegistry registry,
                            dev.imagerouter.cache.SharedFlights flights) {
        return new ResultCache(bootstrap.config().cache(), store, store.inBucket() ? storageIo : imageWork, clock, ticker,
                registry, flights);
    }

    @Singleton
    ImageNormaliser imageNormaliser() {
        return new ImageNormaliser();
    }

    @Singleton
    RequestHasher requestHasher() {
        return new RequestHasher();
    }

    @Singleton
    LeonardoWebhooks leonardoWebhooks() {
        return new LeonardoWebhooks();
    }

    @Singleton
    ProviderResilience providerResilience() {
        return new ProviderResilience();
    }

    @Singleton
    @Bean(preDestroy = "close")
    ProviderRegistry providerRegistry(ProviderResilience resilience, @Named("router-scheduler") ScheduledExecutorService scheduler,
                                      JsonMapper json, ImageDownloader downloader, LeonardoWebhooks webhooks, Clock clock,
                                      ConfigBootstrap bootstrap, @Named("storage-io") ExecutorService storageIo,
                                      dev.imagerouter.tracing.Tracing tracing) {
        ProviderContext context = new ProviderContext(scheduler, json, downloader, bootstrap.config().sandbox().enabled(),
                storageIo, tracing);
        return new ProviderRegistry(resilience, new ProviderAdapters(context, webhooks, clock), clock, scheduler);
    }

    /**
     * Jobs under {@code router.jobs.dir}, by default {@code <router.storage.dir>/jobs} (read at startup; a
     * reload does not move them). With {@code REDIS_URI} set, JobService keeps jobs in Redis and this
     * store holds the ones created while Redis was down.
     */
    @Singleton
    @Bean(preDestroy = "close")
    dev.imagerouter.jobs.FileJobStore jobStore(ConfigBootstrap bootstrap, JsonMapper json, FileSync sync) {
        String dir = bootstrap.config().jobs().dir();
        return new dev.imagerouter.jobs.FileJobStore(dir.isEmpty() ? bootstrap.config().storage().dir().resolve("jobs")
                : java.nio.file.Path.of(dir), json, sync);
    }

    @Singleton
    dev.imagerouter.routing.PermitQueues permitQueues(@Named("router-scheduler") ScheduledExecutorService scheduler,
                                                      dev.imagerouter.routing.SharedLimits limits) {
        return new dev.imagerouter.routing.PermitQueues(scheduler, limits);
    }

    @Singleton
    Router router(@Named("router-scheduler") ScheduledExecutorService scheduler, List<RoutingListener> listeners,
                  List<ProviderGate> gates, @io.micronaut.core.annotation.Nullable dev.imagerouter.routing.SpendReservations reservations,
                  dev.imagerouter.routing.PermitQueues queues, dev.imagerouter.tracing.Tracing tracing) {
        return new Router(scheduler, listeners, gates,
                reservations == null ? dev.imagerouter.routing.SpendReservations.NONE : reservations, queues, tracing);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The admin endpoints' view of configuration loading and reload. */
    @Singleton
    dev.imagerouter.api.ConfigAdmin configAdmin(RouterRuntime runtime, ConfigReloader reloader) {
        return new dev.imagerouter.api.ConfigAdmin() {
            @Override
            public java.nio.file.Path configDir() {
                return runtime.configDir();
            }

            @Override
            public Reload reload() {
                ConfigReloader.Result r = reloader.reload();
                return new Reload(r.applied(), r.chain(), r.problems());
            }
        };
    }

    /** How the API checks an X-Sandbox-Fault plan: as the emulators parse it. */
    @Singleton
    dev.imagerouter.api.SandboxFaultCheck sandboxFaultCheck() {
        return dev.imagerouter.sandbox.FaultPlan::parse;
    }

    /** Reads the configuration once for the beans that need it before the runtime exists. */
    public static final class ConfigBootstrap implements dev.imagerouter.sandbox.EmulatorSwitch {
        private final RouterConfig config;
        private final java.nio.file.Path configDir;

        ConfigBootstrap(io.micronaut.context.env.Environment environment) {
            this.configDir = java.nio.file.Path.of(environment.getProperty("router.config-dir", String.class)
                    .orElseGet(() -> java.util.Optional.ofNullable(System.getenv("ROUTER_CONFIG_DIR")).orElse("config")));
            this.config = loader(environment).load(configDir);
        }

        /** A loader whose overrides come from Micronaut's properties (environment variables, system and test properties). */
        public static ConfigLoader loader(io.micronaut.context.env.Environment environment) {
            return new ConfigLoader(new ConfigOverrides(environment, System::getenv), System::getenv, ProviderAdapters::validate);
        }

        public RouterConfig config() {
            return config;
        }

        /** Sandbox mode, as decided at startup: the emulator beans exist only then. */
        @Override
        public boolean emulatorsServe() {
            return config.sandbox().enabled();
        }

        public java.nio.file.Path configDir() {
            return configDir;
        }
    }
}
