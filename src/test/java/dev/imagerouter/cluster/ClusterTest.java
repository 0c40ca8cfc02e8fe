package dev.imagerouter.cluster;

import dev.imagerouter.settings.ClusterSettings;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.RedisServer;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.vocabulary.Secret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The link to the shared state against a real {@code redis-server}: it connects in the background
 * (never blocking its start), follows Redis going down and coming back, fails operations fast and
 * counts them while down, logs each transition once, and does nothing without {@code REDIS_URI}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTest {

    private RedisServer redis;
    private ScheduledExecutorService scheduler;
    private SimpleMeterRegistry registry;

    @BeforeAll
    void startRedis() throws Exception {
        redis = RedisServer.onFreePort();
    }

    @AfterAll
    void stopRedis() throws Exception {
        redis.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        redis.start();
        scheduler = Executors.newScheduledThreadPool(2);
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void tearDown() {
        scheduler.shutdownNow();
    }

    private ClusterSettings settings(String uri) {
        return new ClusterSettings(Optional.of(Secret.of(uri)), "test-prefix:", Optional.of("replica-a"),
                Duration.ofMillis(500), Duration.ofSeconds(3), Duration.ofSeconds(10));
    }

    private double up() {
        return registry.get(MetricNames.REDIS_UP).gauge().value();
    }

    private double fallbacks(SharedOperation op) {
        return registry.get(MetricNames.REDIS_FALLBACKS).tag("operation", op.tag()).counter().count();
    }

    @Test
    void redisDownAtStart_startReturnsAtOnce_operationsFallBack_thenItConnectsWhenRedisComesUp() throws Exception {
        redis.stop();
        try (LogCapture logs = new LogCapture(); Cluster cluster = Cluster.start(settings(redis.uri()), scheduler, registry)) {
            assertTrue(cluster.enabled());
            assertFalse(cluster.up());
            assertEquals(0, up());
            assertFalse(cluster.use(SharedOperation.CLIENT_LIMITS), "down: per-replica state");
            assertEquals(1, fallbacks(SharedOperation.CLIENT_LIMITS));
            CompletionException down = assertThrows(CompletionException.class,
                    () -> cluster.call(SharedOperation.SPEND, r -> r.ping()).join());
            assertInstanceOf(SharedStateUnavailableException.class, down.getCause());
            assertEquals(1, fallbacks(SharedOperation.SPEND));
            await().atMost(Duration.ofSeconds(10)).until(() -> logs.lines().stream()
                    .anyMatch(l -> l.startsWith("WARN") && l.contains("unreachable at startup")));

            redis.start();
            await().atMost(Duration.ofSeconds(15)).until(cluster::up);
            assertEquals(1, up());
            assertEquals("PONG", cluster.call(SharedOperation.SPEND, r -> r.ping()).get(2, TimeUnit.SECONDS));
            await().atMost(Duration.ofSeconds(5)).until(() -> logs.lines().stream()
                    .anyMatch(l -> l.startsWith("INFO") && l.contains("connected to redis://127.0.0.1:" + redis.port())));
        }
    }

    @Test
    void redisStopsAndComesBack_upFollows_eachTransitionLoggedOnce_andNoOperationWaitsWhileDown() throws Exception {
        try (LogCapture logs = new LogCapture(); Cluster cluster = Cluster.start(settings(redis.uri()), scheduler, registry)) {
            await().atMost(Duration.ofSeconds(10)).until(cluster::up);
            assertEquals("v", cluster.call(SharedOperation.SINGLE_FLIGHT, r -> r.set(cluster.key("k"), "v")
                    .thenCompose(ok -> r.get(cluster.key("k")))).get(2, TimeUnit.SECONDS));
            assertEquals("v", redis.with(r -> r.get("test-prefix:k")), "keys carry router.redis.key-prefix");

            redis.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.up());
            assertEquals(0, up());
            for (int i = 0; i < 3; i++) {
                assertThrows(CompletionException.class, () -> cluster.call(SharedOperation.JOBS, r -> r.ping()).join());
            }
            assertEquals(3, fallbacks(SharedOperation.JOBS));

            redis.start();
            await().atMost(Duration.ofSeconds(15)).until(cluster::up);
            assertEquals("PONG", cluster.call(SharedOperation.JOBS, r -> r.ping()).get(2, TimeUnit.SECONDS));
            await().atMost(Duration.ofSeconds(5)).until(() -> logs.lines().stream().filter(l -> l.contains("redis: ")).count() >= 3);
            List<String> transitions = logs.lines().stream().filter(l -> l.contains("dev.imagerouter.cluster.Cluster")).toList();
            assertEquals(1, transitions.stream().filter(l -> l.startsWith("WARN") && l.contains("lost the connection")).count(),
                    transitions.toString());
            assertEquals(2, transitions.stream().filter(l -> l.startsWith("INFO") && l.contains("connected to")).count(),
                    transitions.toString());
            assertFalse(String.join("\n", transitions).contains("password"), "no credentials in the log");
        }
    }

    @Test
    void aPublishedMessage_reachesTheSubscribers_alsoAfterAReconnect() throws Exception {
        try (Cluster a = Cluster.start(settings(redis.uri()), scheduler, registry);
             Cluster b = Cluster.start(settings(redis.uri()), scheduler, new SimpleMeterRegistry())) {
            List<String> received = new CopyOnWriteArrayList<>();
            b.subscribe(b.key("news"), received::add);
            await().atMost(Duration.ofSeconds(10)).until(() -> a.up() && b.up());
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                a.publish(SharedOperation.SINGLE_FLIGHT, a.key("news"), "one").join();
                return received.contains("one");
            });
            redis.stop();
            redis.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> a.up() && b.up());
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                a.publish(SharedOperation.SINGLE_FLIGHT, a.key("news"), "two").exceptionally(e -> 0L).join();
                return received.contains("two");
            });
        }
    }

    @Test
    void withoutRedisUri_nothingConnects_noMetricIsRegistered_andNoFallbackIsCounted() {
        try (Cluster cluster = Cluster.start(ClusterSettings.SINGLE_NODE, scheduler, registry)) {
            assertFalse(cluster.enabled());
            assertFalse(cluster.up());
            assertFalse(cluster.use(SharedOperation.SPEND));
            assertNull(registry.find(MetricNames.REDIS_UP).gauge());
            assertNull(registry.find(MetricNames.REDIS_FALLBACKS).counter());
            assertTrue(cluster.replicaId().startsWith("replica-"));
        }
    }

    @Test
    void aScript_isLoadedTheFirstTime_andRunByItsDigestAfter() throws Exception {
        try (Cluster cluster = Cluster.start(settings(redis.uri()), scheduler, registry)) {
            await().atMost(Duration.ofSeconds(10)).until(cluster::up);
            redis.with(r -> r.scriptFlush());
            Cluster.Script incr = new Cluster.Script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
            Long first = cluster.<Long>script(SharedOperation.SPEND, incr, io.lettuce.core.ScriptOutputType.INTEGER,
                    List.of(cluster.key("n")), "2").get(2, TimeUnit.SECONDS);
            Long second = cluster.<Long>script(SharedOperation.SPEND, incr, io.lettuce.core.ScriptOutputType.INTEGER,
                    List.of(cluster.key("n")), "3").get(2, TimeUnit.SECONDS);
            assertEquals(2L, first);
            assertEquals(5L, second);
            assertEquals(0, fallbacks(SharedOperation.SPEND));
        }
    }
}
