package dev.imagerouter.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A local alert webhook for tests: a JDK HTTP server on 127.0.0.1 that records every POST body and
 * answers 200, or what {@link #script} says for the next requests ({@link #HOLD} keeps a request
 * open until {@link #release()}, then answers 503). Thread-safe.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** Script step: keep the request open until {@link #release()} (at most 30 s), then answer 503. */
    public static final int HOLD = -1;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "webhook-receiver");
        t.setDaemon(true);
        return t;
    });
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> accepted = new CopyOnWriteArrayList<>();
    private final Deque<Integer> script = new ArrayDeque<>();
    private volatile CountDownLatch hold = new CountDownLatch(1);

    public WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/hook", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** The URL to configure as {@code router.alerts.webhook-url}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        bodies.add(body);
        int status = next();
        if (status == HOLD) {
            try {
                hold.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            status = 503;
        }
        if (status / 100 == 2) {
            accepted.add(body);
        }
        try {
            exchange.sendResponseHeaders(status, -1);
        } catch (IOException clientGone) {
            // the router gave up waiting (its timeout): nothing to answer
        } finally {
            exchange.close();
        }
    }

    private synchronized int next() {
        Integer s = script.pollFirst();
        return s == null ? 200 : s;
    }

    /** The answers to the next requests, in order (HTTP statuses or {@link #HOLD}); afterwards 200. */
    public synchronized void script(Integer... statuses) {
        script.clear();
        script.addAll(List.of(statuses));
        hold = new CountDownLatch(1);
    }

    /** Lets held requests finish. */
    public void release() {
        hold.countDown();
    }

    /** Every body received (including failed deliveries), oldest first. */
    public List<String> bodies() {
        return List.copyOf(bodies);
    }

    /** Bodies answered 2xx, oldest first. */
    public List<String> accepted() {
        return List.copyOf(accepted);
    }

    /** Accepted bodies that match. */
    public List<String> accepted(Predicate<String> filter) {
        return accepted.stream().filter(filter).toList();
    }

    /**
     * Waits (at most {@code max}) until {@code count} accepted bodies match; returns the matching
     * bodies, fewer than {@code count} if the time ran out (the caller's assertion says what is missing).
     */
    public List<String> awaitAccepted(Predicate<String> filter, int count, Duration max) {
        try {
            await().atMost(max).pollInterval(Duration.ofMillis(10)).until(() -> accepted(filter).size() >= count);
        } catch (ConditionTimeoutException timedOut) {
            // fall through: the caller asserts on what arrived
        }
        return accepted(filter);
    }

    /** Forgets every body received so far. */
    public void clear() {
        bodies.clear();
        accepted.clear();
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }
}
