package dev.imagerouter.cluster;

import dev.imagerouter.settings.ClusterSettings;
import dev.imagerouter.vocabulary.MetricNames;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

// Over 300 lines because the connection's life (background connect, reconnect, up/down transitions), its metrics and the
// operations' fallback accounting are one state machine; splitting it would spread the "what is up" rule over classes.

/*
 * This replica's link to the state replicas share (README "Running several replicas").
 *
 * Off (no REDIS_URI): enabled() is false, up() is false, nothing connects, no metric is registered,
 * and every caller uses its own per-replica state exactly as before this feature existed.
 *
 * On: two Lettuce connections (commands, and pub/sub for notifications) are made in the background:
 * the constructor returns at once, startup never waits for Redis and never fails because of it. A
 * first connect that fails is tried again (0.5 s doubling to 5 s); once connected, Lettuce's own
 * watchdog reconnects after any drop (0.1 s doubling to 2 s) and re-subscribes the channels.
 * up() is the command connection's state (one volatile read): while it is false no shared
 * operation is attempted at all, so Redis being down costs no timeout on the request path.
 *
 * Every shared operation runs through call()/script(): Lettuce rejects commands at once while
 * disconnected (DisconnectedBehavior.REJECT_COMMANDS, no buffering) and fails one that gets no answer
 * within router.redis.timeout. A failed or skipped operation is counted once in
 * image_router_redis_fallbacks_total{operation} and the caller falls back to its own state; the
 * log says so once per transition of the connection (WARN down, INFO up), never per operation.
 * image_router_redis_up is 1 while up.
 *
 * Threads: results are completed on the executor given at construction (the router scheduler), never
 * on a Lettuce I/O thread, so no caller code can stall Redis I/O; callers that then do file I/O hop
 * on to their own pools as usual. Keys and channels are named through key(), which puts
 * router.redis.key-prefix first, so two deployments can share one Redis.
 */
/** This replica's connection to the shared state in Redis, or its absence. Thread-safe. */
public final class Cluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    private static final long FIRST_RETRY_MILLIS = 500;
    private static final long MAX_RETRY_MILLIS = 5_000;

    private final ClusterSettings settings;
    private final String replicaId;
    private final Executor callbacks;
    private final ScheduledExecutorService scheduler;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final Map<SharedOperation, Counter> fallbacks = new EnumMap<>(SharedOperation.class);
    private final Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    /** The state last logged: null before the first connect attempt ended. */
    private volatile Boolean lastLogged;

    private Cluster(ClusterSettings settings, String replicaId, ScheduledExecutorService scheduler, MeterRegistry registry) {
        this.settings = settings;
        this.replicaId = replicaId;
        this.scheduler = scheduler;
        this.callbacks = scheduler;
        if (!settings.enabled()) {
            this.resources = null;
            this.client = null;
            this.uri = null;
            return;
        }
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(1)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        this.uri = RedisURI.create(settings.redisUri().orElseThrow().reveal());
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(settings.timeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).keepAlive(true).build())
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
                scheduler.execute(Cluster.this::logTransition);
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> c) {
                scheduler.execute(Cluster.this::logTransition);
            }
        });
        for (SharedOperation op : SharedOperation.values()) {
            fallbacks.put(op, Counter.builder(MetricNames.REDIS_FALLBACKS).tag("operation", op.tag())
                    .description("Shared-state operations that fell back to this replica's own state (Redis down, slow or failing)")
                    .register(registry));
        }
        Gauge.builder(MetricNames.REDIS_UP, this, c -> c.up() ? 1 : 0)
                .description("1 while this replica is connected to Redis (REDIS_URI) and shares state through it, 0 while it falls back")
                .register(registry);
    }

    /** No Redis: the single-node default. */
    public static Cluster singleNode() {
        return new Cluster(ClusterSettings.SINGLE_NODE, randomReplicaId(), null, null);
    }

    /**
     * Starts connecting to Redis in the background when {@code settings} name one (returns at once
     * either way).
     *
     * @param scheduler retries and the completion of every operation's future run here; must not be
     *                  shut down before {@link #close()}
     */
    public static Cluster start(ClusterSettings settings, ScheduledExecutorService scheduler, MeterRegistry registry) {
        Objects.requireNonNull(settings, "settings");
        String id = settings.replicaId().orElseGet(Cluster::randomReplicaId);
        if (!settings.enabled()) {
            return new Cluster(settings, id, scheduler, registry);
        }
        Cluster cluster = new Cluster(Objects.requireNonNull(settings, "settings"), id,
                Objects.requireNonNull(scheduler, "scheduler"), Objects.requireNonNull(registry, "registry"));
        LOG.info("redis: sharing state through {} as replica {} (key prefix \"{}\")", settings.redisEndpoint(), id,
                settings.keyPrefix());
        cluster.connectCommands(FIRST_RETRY_MILLIS);
        cluster.connectPubSub(FIRST_RETRY_MILLIS);
        return cluster;
    }

    /** Whether Redis is configured ({@code REDIS_URI}): replicas share state while it is up. */
    public boolean enabled() {
        return client != null;
    }

    /** Whether shared operations can be attempted now: configured and connected. One volatile read. */
    public boolean up() {
        StatefulRedisConnection<String, String> c = connection;
        return c != null && c.isOpen();
    }

    /**
     * Whether {@code operation} should use the shared state now. When Redis is configured but down,
     * counts a fallback of {@code operation} and answers false; when it is not configured, answers false
     * without counting (per-replica state is then the normal case).
     */
    public boolean use(SharedOperation operation) {
        if (up()) {
            return true;
        }
        if (enabled()) {
            fallback(operation);
        }
        return false;
    }

    /** Counts one fallback of {@code operation} to this replica's own state. */
    public void fallback(SharedOperation operation) {
        Counter counter = fallbacks.get(operation);
        if (counter != null) {
            counter.increment();
        }
    }

    /** This process's name in leases: {@code router.replica-id}, or random per process start. */
    public String replicaId() {
        return replicaId;
    }

    /** The cluster settings (timeouts, lease TTL, flight wait). */
    public ClusterSettings settings() {
        return settings;
    }

    /** The Redis key or channel {@code name} under {@code router.redis.key-prefix}, e.g. {@code image-router:flight:<hash>}. */
    public String key(String name) {
        return settings.keyPrefix() + name;
    }

    /**
     * Runs one shared operation. Fails at once, without a round trip, when Redis is down.
     *
     * @param command issues the command(s) on Lettuce's async API and returns their result
     * @return the result, completed on the scheduler; or failed with {@link SharedStateUnavailableException}
     *         (fallback already counted) when Redis is down, slow past {@code router.redis.timeout} or answers an error
     */
    public <T> CompletableFuture<T> call(SharedOperation operation,
                                         Function<RedisAsyncCommands<String, String>, ? extends CompletionStage<T>> command) {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null || !c.isOpen()) {
            if (enabled()) {
                fallback(operation);
            }
            return CompletableFuture.failedFuture(new SharedStateUnavailableException(operation,
                    enabled() ? "Redis is not connected" : "Redis is not configured", null));
        }
        CompletionStage<T> stage;
        try {
            stage = command.apply(c.async());
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        stage.whenComplete((value, error) -> {
            Runnable complete = () -> {
                if (error == null) {
                    result.complete(value);
                } else {
                    fallback(operation);
                    result.completeExceptionally(error instanceof SharedStateUnavailableException ? error
                            : new SharedStateUnavailableException(operation, String.valueOf(error), error));
                }
            };
            try {
                callbacks.execute(complete);
            } catch (RuntimeException rejected) { // the scheduler is shutting down
                complete.run();
            }
        });
        return result;
    }

    /** A Lua script, sent by its SHA-1 ({@code EVALSHA}) and loaded ({@code EVAL}) the first time a Redis does not know it. */
    public static final class Script {
        private final String source;
        private final String sha1;

        public Script(String source) {
            this.source = Objects.requireNonNull(source, "source");
            try {
                this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-1 is required of every Java platform", e);
            }
        }
    }

    /**
     * Runs {@code script} as one shared operation (atomic in Redis), as {@link #call} does.
     *
     * @param type what the script returns (e.g. {@link ScriptOutputType#MULTI} for a table)
     */
    public <T> CompletableFuture<T> script(SharedOperation operation, Script script, ScriptOutputType type,
                                           List<String> keys, String... args) {
        String[] k = keys.toArray(String[]::new);
        return call(operation, redis -> {
            CompletableFuture<T> done = new CompletableFuture<>();
            redis.<T>evalsha(script.sha1, type, k, args).whenComplete((value, error) -> {
                if (error instanceof RedisNoScriptException || (error != null && String.valueOf(error.getMessage()).startsWith("NOSCRIPT"))) {
                    redis.<T>eval(script.source, type, k, args).whenComplete((v, e) -> {
                        if (e == null) {
                            done.complete(v);
                        } else {
                            done.completeExceptionally(e);
                        }
                    });
                } else if (error != null) {
                    done.completeExceptionally(error);
                } else {
                    done.complete(value);
                }
            });
            return done;
        });
    }

    /**
     * Calls {@code listener} (on the scheduler) with each message published on {@code channel} (a name
     * made with {@link #key}) from now on, across reconnects. Messages published while this replica was
     * disconnected are lost: listeners must also poll what they wait for.
     */
    public void subscribe(String channel, Consumer<String> listener) {
        if (!enabled()) {
            return;
        }
        boolean first = listeners.computeIfAbsent(channel, k -> new CopyOnWriteArrayList<>()).isEmpty();
        listeners.get(channel).add(listener);
        StatefulRedisPubSubConnection<String, String> p = pubSub;
        if (first && p != null && p.isOpen()) {
            p.async().subscribe(channel);
        }
    }

    /** Publishes {@code message} on {@code channel}; best effort (a failure is counted as a fallback of {@code operation}). */
    public CompletableFuture<Long> publish(SharedOperation operation, String channel, String message) {
        return call(operation, redis -> redis.publish(channel, message));
    }

    private void connectCommands(long retryMillis) {
        if (closed.get()) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, error) -> {
            if (error != null) {
                if (lastLogged == null) {
                    synchronized (this) {
                        if (lastLogged == null) {
                            lastLogged = false;
                            LOG.warn("redis: {} unreachable at startup ({}); serving with per-replica state and retrying",
                                    settings.redisEndpoint(), rootMessage(error));
                        }
                    }
                }
                retry(() -> connectCommands(Math.min(retryMillis * 2, MAX_RETRY_MILLIS)), retryMillis);
                return;
            }
            if (closed.get()) {
                c.closeAsync();
                return;
            }
            connection = c;
            scheduler.execute(this::logTransition);
        });
    }

    private void connectPubSub(long retryMillis) {
        if (closed.get()) {
            return;
        }
        client.connectPubSubAsync(StringCodec.UTF8, uri).whenComplete((p, error) -> {
            if (error != null) {
                retry(() -> connectPubSub(Math.min(retryMillis * 2, MAX_RETRY_MILLIS)), retryMillis);
                return;
            }
            if (closed.get()) {
                p.closeAsync();
                return;
            }
            p.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    List<Consumer<String>> those = listeners.get(channel);
                    if (those == null) {
                        return;
                    }
                    for (Consumer<String> l : those) {
                        scheduler.execute(() -> {
                            try {
                                l.accept(message);
                            } catch (RuntimeException e) {
                                LOG.warn("redis: a listener of {} failed: {}", channel, e.toString());
                            }
                        });
                    }
                }
            });
            pubSub = p;
            String[] channels = listeners.keySet().toArray(String[]::new);
            if (channels.length > 0) {
                p.async().subscribe(channels);
            }
        });
    }

    private void retry(Runnable attempt, long millis) {
        if (closed.get()) {
            return;
        }
        long jittered = millis + ThreadLocalRandom.current().nextLong(millis / 4 + 1);
        try {
            scheduler.schedule(attempt, jittered, TimeUnit.MILLISECONDS);
        } catch (RuntimeException rejected) {
            // the scheduler is shutting down: so is this replica
        }
    }

    /** Logs a change of up/down once (WARN when it goes down, INFO when it comes back). */
    private synchronized void logTransition() {
        if (closed.get()) {
            return;
        }
        boolean now = up();
        if (lastLogged != null && lastLogged == now) {
            return;
        }
        if (!now && lastLogged == null) {
            return; // not connected yet (an event of the other connection): the first connect's outcome is logged
        }
        if (now) {
            LOG.info("redis: connected to {}; replica {} shares state through it", settings.redisEndpoint(), replicaId);
        } else {
            LOG.warn("redis: lost the connection to {}; falling back to per-replica state (counted in "
                    + "image_router_redis_fallbacks_total) until it is back", settings.redisEndpoint());
        }
        lastLogged = now;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static String randomReplicaId() {
        return "replica-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    /** Closes the connections (in the background, at most 2 s); nothing is attempted afterwards. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true) || client == null) {
            return;
        }
        StatefulRedisConnection<String, String> c = connection;
        StatefulRedisPubSubConnection<String, String> p = pubSub;
        connection = null;
        pubSub = null;
        if (c != null) {
            c.closeAsync();
        }
        if (p != null) {
            p.closeAsync();
        }
        client.shutdownAsync(0, 2, TimeUnit.SECONDS).whenComplete((v, e) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
    }
}
