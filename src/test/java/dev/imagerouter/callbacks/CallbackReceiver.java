package dev.imagerouter.callbacks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A callback receiver for tests: a JDK HTTP server on 127.0.0.1 (port 0) that records every request to
 * {@code /hook} and {@code /elsewhere} (headers, body, arrival) and answers 200, or the next status of its
 * {@link #script}; a 3xx carries {@code Location: <this server>/elsewhere}. Thread-safe.
 */
final class CallbackReceiver implements AutoCloseable {

    /** Script step: answer 200, but only after {@link #SLOW_MILLIS} (longer than the tests' delivery timeout). */
    static final int SLOW = -1;
    static final long SLOW_MILLIS = 2_000;

    /** One request as it arrived; header names compared case-insensitively. */
    record Request(String path, Map<String, List<String>> headers, byte[] body, long arrivedNanos) {
        String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "callback-receiver");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Integer> script = new ArrayDeque<>();

    CallbackReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", this::handle);
        server.createContext("/elsewhere", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** The next requests are answered with these statuses, in order; after them, 200. */
    synchronized CallbackReceiver script(Integer... statuses) {
        script.addAll(List.of(statuses));
        return this;
    }

    String url() {
        return base() + "/hook";
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
        requests.add(new Request(exchange.getRequestURI().getPath(), headers, body, System.nanoTime()));
        int status;
        synchronized (this) {
            Integer next = script.poll();
            status = next == null ? 200 : next;
        }
        if (status == SLOW) {
            try {
                Thread.sleep(SLOW_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            status = 200;
        }
        if (status >= 300 && status < 400) {
            exchange.getResponseHeaders().add("Location", base() + "/elsewhere");
        }
        byte[] answer = "{}".getBytes();
        exchange.sendResponseHeaders(status, answer.length);
        exchange.getResponseBody().write(answer);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
