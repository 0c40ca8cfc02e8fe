package dev.imagerouter.testing;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A real Redis for tests: Debian's {@code redis-server} started on a free loopback port with no
 * persistence ({@code --save '' --appendonly no}) and a temporary directory of its own. {@link #stop()}
 * and {@link #start()} take it down and bring it back on the same port (the Redis-down tests);
 * {@link #close()} stops it and deletes the directory. Fails with a clear message when
 * {@code redis-server} is not installed ({@code .ci/run} installs it).
 */
public final class RedisServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path binary;
    private final int port;
    private final Path dir;
    private Process process;

    private RedisServer(Path binary, int port, Path dir) {
        this.binary = binary;
        this.port = port;
        this.dir = dir;
    }

    /** Starts a new server on a free port and waits until it answers {@code PING}. */
    public static RedisServer onFreePort() throws IOException, InterruptedException {
        Path binary = binary();
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        RedisServer server = new RedisServer(binary, port, Files.createTempDirectory("redis-server-test"));
        server.startProcess();
        return server;
    }

    /**
     * {@link #onFreePort()} for a test class's static field: a server that cannot start fails the
     * class (IllegalStateException) instead of declaring checked exceptions. Close it in @AfterAll.
     */
    public static RedisServer forTestClass() {
        try {
            return onFreePort();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server did not start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while redis-server started", e);
        }
    }

    /** The URI a router is given ({@code REDIS_URI}). */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Whether the server process is running. */
    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** Stops the server (as a crash would: SIGKILL, nothing saved) and waits for it to exit. */
    public synchronized void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    /** Starts the server again on the same port (empty: nothing was persisted) and waits until it answers. */
    public synchronized void start() throws IOException, InterruptedException {
        if (!running()) {
            startProcess();
        }
    }

    /** What the server printed so far (its log), for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("redis.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Runs {@code commands} against the server over a short-lived connection (assertions, set-up). */
    public <T> T with(Function<RedisCommands<String, String>, T> commands) {
        RedisClient client = RedisClient.create(RedisURI.create(uri()));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return commands.apply(connection.sync());
        } finally {
            client.shutdown(0, 1, TimeUnit.SECONDS);
        }
    }

    private synchronized void startProcess() throws IOException, InterruptedException {
        Path log = dir.resolve("redis.log");
        ProcessBuilder builder = new ProcessBuilder(List.of(binary.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = builder.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + " on port " + port + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            if (answersPing()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("redis-server did not answer PING on port " + port + " within " + START_TIMEOUT);
    }

    private boolean answersPing() {
        RedisURI target = RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(Duration.ofSeconds(1)).build();
        RedisClient client = RedisClient.create(target);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return "PONG".equals(connection.sync().ping());
        } catch (RuntimeException notYet) {
            return false;
        } finally {
            client.shutdown(0, 1, TimeUnit.SECONDS);
        }
    }

    private static Path binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        Path debian = Path.of("/usr/bin/redis-server");
        if (Files.isExecutable(debian)) {
            return debian;
        }
        throw new IllegalStateException("redis-server is not installed (not on PATH, not /usr/bin/redis-server): the tests of "
                + "shared state need a real Redis. Install Debian's package: apt-get install -y redis-server (.ci/run does)");
    }

    @Override
    public void close() throws InterruptedException, IOException {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
