package dev.imagerouter.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The application in a JVM of its own, started as an operator would ({@code java ... Application
 * [args]}) with an environment of the test's choosing: for what only environment variables decide
 * (the mode rules, the emulators process). Its output goes to a file; {@link #close()} kills it.
 */
public final class RouterProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private RouterProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts the application on a free loopback port with exactly {@code env} (plus PATH and JAVA_HOME).
     *
     * @param args the application's arguments, e.g. {@code emulators}
     */
    public static RouterProcess start(Map<String, String> env, String... args) throws IOException {
        return start(env, freePort(), args);
    }

    /** A free loopback port now (for a process whose port others must know before it starts). */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** As {@link #start(Map, String...)}, on {@code port}. */
    public static RouterProcess start(Map<String, String> env, int port, String... args) throws IOException {
        Path log = Files.createTempFile("image-router-process", ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.imagerouter.Application"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("JAVA_HOME") && !k.equals("HOME"));
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().putAll(env);
        return new RouterProcess(builder.start(), log, port);
    }

    /** The port it was told to listen on (it may not listen yet: see {@link #awaitPort}). */
    public int port() {
        return port;
    }

    /** Waits for the server to answer {@code /health} and returns its port; fails with the output if it exits first. */
    public int awaitPort(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest health = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("exited with " + process.exitValue() + " before listening:\n" + output());
            }
            try {
                http.send(health, java.net.http.HttpResponse.BodyHandlers.discarding());
                return port;
            } catch (IOException notYet) {
                process.waitFor(100, TimeUnit.MILLISECONDS);
            }
        }
        throw new AssertionError("not listening after " + timeout + ":\n" + output());
    }

    /** Waits for the process to exit and returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    /** Everything it printed so far. */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }

    /**
     * Asks the process to stop as {@code kill} and an orchestrator do (SIGTERM on Linux) and returns at
     * once; {@link #awaitExit} tells how it ended.
     */
    public void terminate() {
        process.destroy();
    }

    /** Kills the process at once, as {@code kill -9} does (SIGKILL: no shutdown hook runs), and waits for it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
