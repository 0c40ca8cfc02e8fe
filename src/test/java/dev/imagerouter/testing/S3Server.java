package dev.imagerouter.testing;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/*
 * Why a JVM of its own: S3Proxy 2.6.0 brings Jetty 11, jclouds, Guava, the AWS SDK v1, its own
 * Jackson and Logback; on the router's test classpath they would meet Micronaut's versions of the
 * same libraries. Its classpath is resolved by Maven from src/test/s3proxy/pom.xml (bin/s3proxy
 * classpath, cached in target/s3proxy/classpath.txt), so nothing has to be installed: .ci/run needs
 * no change. A JVM of its own is also what lets a test stop the store (an outage) and start it again
 * on the same port with the same objects.
 */
/**
 * A real S3-compatible server for tests: S3Proxy (org.gaul:s3proxy 2.6.0) with its filesystem backend
 * on a free loopback port, requests signed with a fixed test identity (AWS Signature v2 or v4), a
 * bucket {@value #BUCKET} created. Hand {@link #env()} to a {@link RouterProcess}, or
 * {@link #properties()} plus {@link #credentialsInSystemProperties()} to a router in the test's JVM.
 * Startup takes 1–3 s; {@link #shared()} is one server for every test class of the JVM that does not
 * stop it. Not thread-safe for stop/restart; the server itself serves any number of clients.
 */
public final class S3Server implements AutoCloseable {

    /** The region requests are signed for (S3Proxy accepts any). */
    public static final String REGION = "us-east-1";
    /** The bucket every server starts with. */
    public static final String BUCKET = "image-router";
    /** The test identity ({@code AWS_ACCESS_KEY_ID}). Distinctive, so a leak into a log or an answer is found. */
    public static final String ACCESS_KEY_ID = "s3test-identity-4f7c2a";
    /** The test credential ({@code AWS_SECRET_ACCESS_KEY}). Distinctive, so a leak into a log or an answer is found. */
    public static final String SECRET_ACCESS_KEY = "s3test-credential-9d1e6b30a8";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static String classpath;
    private static S3Server shared;

    private final Path dataDir;
    private final Path config;
    private final Path log;
    private final int port;
    private Process process;
    private S3Client client;
    private java.util.concurrent.CompletableFuture<Void> started = java.util.concurrent.CompletableFuture.completedFuture(null);

    private S3Server(Path dataDir, int port) throws IOException {
        this.dataDir = dataDir;
        this.port = port;
        this.config = Files.createTempFile("s3proxy", ".properties");
        this.log = Files.createTempFile("s3proxy", ".log");
        writeConfig(false);
    }

    private void writeConfig(boolean readOnly) throws IOException {
        Files.writeString(config, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY_ID,
                "s3proxy.credential=" + SECRET_ACCESS_KEY,
                "s3proxy.read-only-blobstore=" + readOnly,
                "jclouds.provider=filesystem-nio2",
                "jclouds.identity=unused",
                "jclouds.credential=unused",
                "jclouds.filesystem.basedir=" + dataDir.toAbsolutePath(), ""), StandardCharsets.UTF_8);
    }

    /** A new server on a free loopback port with a fresh, empty data directory and the bucket {@value #BUCKET}. */
    public static S3Server start() throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a free port taken by someone else meanwhile: try another
            S3Server server = new S3Server(RouterTestSupport.tempDir("s3proxy-data"), freePort());
            try {
                server.launch();
                server.createBucket(BUCKET);
                return server;
            } catch (IOException e) {
                server.close();
                last = e;
            }
        }
        throw last;
    }

    /**
     * A new server as {@link #start()} makes, returned as soon as its port is chosen while S3Proxy boots
     * (1–3 s) in the background: start the routers with {@link #env()} at the same time (with a short
     * {@code ROUTER_STORAGE_PROBE_INTERVAL} their readiness turns UP soon after the store answers).
     * Every method that talks to the server waits for it; {@link #awaitStarted()} waits explicitly.
     */
    public static S3Server startInBackground() throws IOException {
        S3Server server = new S3Server(RouterTestSupport.tempDir("s3proxy-data"), freePort());
        server.started = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                server.launch();
                server.createBucket(BUCKET);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return server;
    }

    /** Waits until the server answers (it does at once unless made by {@link #startInBackground()}). */
    public S3Server awaitStarted() {
        try {
            started.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw new AssertionError("S3Proxy did not start:\n" + output(), e.getCause());
        }
        return this;
    }

    /** One server for the whole test JVM (stopped when it exits): for tests that never stop it. Use your own bucket. */
    public static synchronized S3Server shared() {
        if (shared == null) {
            try {
                shared = start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            S3Server server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "s3server-shutdown"));
        }
        return shared;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Creates a bucket and returns its name. */
    public String createBucket(String name) {
        client0().createBucket(b -> b.bucket(name));
        return name;
    }

    /** Creates a bucket no other test uses and returns its name. */
    public String newBucket() {
        return createBucket("test-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20));
    }

    /** The router's environment for bucket {@value #BUCKET}: see {@link #env(String)}. */
    public Map<String, String> env() {
        return env(BUCKET);
    }

    /**
     * The router's environment for a {@link RouterProcess}: {@code ROUTER_STORAGE_S3_ENDPOINT},
     * {@code _BUCKET}, {@code _REGION}, {@code _PATH_STYLE} and the credentials in the standard AWS
     * variables ({@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}).
     */
    public Map<String, String> env(String bucket) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ROUTER_STORAGE_S3_ENDPOINT", endpoint());
        env.put("ROUTER_STORAGE_S3_BUCKET", bucket);
        env.put("ROUTER_STORAGE_S3_REGION", REGION);
        env.put("ROUTER_STORAGE_S3_PATH_STYLE", "true");
        env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID);
        env.put("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        return env;
    }

    /** The router's properties for bucket {@value #BUCKET}: see {@link #properties(String)}. */
    public Map<String, String> properties() {
        return properties(BUCKET);
    }

    /**
     * {@code router.storage.s3.*} for a router in the test's JVM (test properties); its credentials come
     * from {@link #credentialsInSystemProperties()}, since a test cannot set environment variables.
     */
    public Map<String, String> properties(String bucket) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("router.storage.s3.endpoint", endpoint());
        p.put("router.storage.s3.bucket", bucket);
        p.put("router.storage.s3.region", REGION);
        p.put("router.storage.s3.path-style", "true");
        return p;
    }

    /**
     * Puts the test credentials where the AWS SDK's default chain looks first, the system properties
     * {@code aws.accessKeyId} and {@code aws.secretAccessKey} (the JVM's equivalent of the environment
     * variables), until the returned handle is closed.
     */
    public static AutoCloseable credentialsInSystemProperties() {
        String id = System.setProperty("aws.accessKeyId", ACCESS_KEY_ID);
        String secret = System.setProperty("aws.secretAccessKey", SECRET_ACCESS_KEY);
        return () -> {
            restore("aws.accessKeyId", id);
            restore("aws.secretAccessKey", secret);
        };
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    /** An SDK client of this server with the test credentials, for looking at what the router wrote. */
    public S3Client client() {
        if (!started.isDone()) {
            awaitStarted();
        }
        return client0();
    }

    private synchronized S3Client client0() {
        if (client == null) {
            client = S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.of(REGION))
                    .forcePathStyle(true)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY_ID,
                            SECRET_ACCESS_KEY)))
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .build();
        }
        return client;
    }

    /** The keys in {@code bucket} under {@code prefix}, sorted. */
    public List<String> keys(String bucket, String prefix) {
        List<String> keys = new ArrayList<>();
        for (S3Object o : client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            keys.add(o.key());
        }
        keys.sort(null);
        return keys;
    }

    /** The bytes of an object, or null when there is none. */
    public byte[] object(String bucket, String key) {
        try {
            return client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return null;
        }
    }

    /** Stops the server as an outage would (its objects stay); {@link #restart()} brings it back on the same port. */
    public void stop() throws InterruptedException {
        try {
            started.join(); // outside the lock: the background start takes it
        } catch (RuntimeException e) {
            // it did not start: there is nothing more to stop than what launch left
        }
        stopProcess();
    }

    private synchronized void stopProcess() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            process = null;
        }
    }

    /** Starts the stopped server again on the same port with the same objects. */
    public void restart() throws IOException {
        relaunch(false);
    }

    /**
     * Starts the server again on the same port with the same objects, refusing every write (S3Proxy's
     * read-only blob store): reads work, PUTs and DELETEs fail, as with a bucket policy that lost its
     * write permission or a full backing store.
     */
    public void restartReadOnly() throws IOException {
        relaunch(true);
    }

    private void relaunch(boolean readOnly) throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        synchronized (this) {
            writeConfig(readOnly);
            launch();
        }
    }

    /** What S3Proxy printed (warnings and errors only). */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeClient();
    }

    private synchronized void closeClient() {
        if (client != null) {
            client.close();
            client = null;
        }
        try {
            stopProcess();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dlogback.configurationFile=" + Path.of("src/test/s3proxy/logback.xml").toAbsolutePath(),
                "-cp", classpath(), "org.gaul.s3proxy.Main", "--properties", config.toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(endpoint() + "/")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("S3Proxy exited with " + process.exitValue() + " before listening on " + port + ":\n"
                        + output());
            }
            try {
                http.send(probe, HttpResponse.BodyHandlers.discarding()); // any answer (403 unsigned) means it serves
                return;
            } catch (IOException notYet) {
                pause(process);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("S3Proxy not listening on " + port + " after " + START_TIMEOUT + ":\n" + output());
    }

    private static void pause(Process process) throws IOException {
        try {
            process.waitFor(50, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** S3Proxy's classpath from {@code bin/s3proxy classpath} (resolved by Maven once, then read from target/). */
    static synchronized String classpath() throws IOException {
        if (classpath == null) {
            Path out = Files.createTempFile("s3proxy-classpath", ".txt");
            Process p = new ProcessBuilder("bash", Path.of("bin/s3proxy").toAbsolutePath().toString(), "classpath")
                    .redirectOutput(out.toFile()).redirectErrorStream(false)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IOException("bin/s3proxy classpath failed (exit " + (p.isAlive() ? "none" : p.exitValue()) + ")");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            classpath = Files.readString(out).strip();
            Files.deleteIfExists(out);
            if (classpath.isEmpty()) {
                throw new IOException("bin/s3proxy classpath printed nothing");
            }
        }
        return classpath;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
