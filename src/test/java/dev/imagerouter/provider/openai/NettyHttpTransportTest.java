package dev.imagerouter.provider.openai;

import com.openai.core.ObjectMappers;
import com.openai.core.RequestOptions;
import com.openai.core.Timeout;
import com.openai.core.http.HttpMethod;
import com.openai.core.http.HttpRequest;
import com.openai.core.http.HttpRequestBody;
import com.openai.core.http.HttpResponse;
import com.openai.errors.OpenAIIoException;
import com.sun.net.httpserver.HttpServer;
import dev.imagerouter.vocabulary.FailureKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI transport against real HTTP peers on loopback: the JDK's HTTP server for well-behaved
 * exchanges, and raw sockets for the misbehaving ones (a connection closed while idle in the pool,
 * a reply that never comes, a connection cut mid-response).
 */
class NettyHttpTransportTest {

    private static final OpenAiFailureClassifier CLASSIFIER = new OpenAiFailureClassifier(Clock.systemUTC());

    private final ExecutorService callbacks = Executors.newFixedThreadPool(2);
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private NettyHttpTransport transport;

    @BeforeEach
    void setUp() {
        transport = new NettyHttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(5), callbacks);
    }

    @AfterEach
    void tearDown() throws Exception {
        transport.close();
        for (AutoCloseable c : closeLater) {
            c.close();
        }
        callbacks.shutdownNow();
    }

    private static HttpRequest post(String baseUrl, Object body) {
        return HttpRequest.builder().method(HttpMethod.POST).baseUrl(baseUrl).addPathSegments("v1", "images", "generations")
                .putHeader("Authorization", "Bearer sk-test").putQueryParam("q", "a b&c")
                .body(json(body)).build();
    }

    private static HttpRequestBody json(Object value) {
        byte[] bytes;
        try {
            bytes = ObjectMappers.jsonMapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new HttpRequestBody() {
            @Override
            public void writeTo(OutputStream out) {
                try {
                    out.write(bytes);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            @Override
            public String contentType() {
                return "application/json";
            }

            @Override
            public long contentLength() {
                return bytes.length;
            }

            @Override
            public boolean repeatable() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    private static RequestOptions timeout(Duration d) {
        return RequestOptions.builder().timeout(Timeout.builder().request(d).build()).build();
    }

    private static final byte[] OK_EMPTY_JSON = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.US_ASCII);

    /** What a raw peer does with a connection after reading the request from it. */
    private interface PeerAnswer {
        void answer(OutputStream out) throws IOException, InterruptedException;
    }

    /** Like {@link PeerAnswer}, with the whole socket (to half-close it and read what the client does next). */
    private interface PeerConnection {
        void answer(Socket socket) throws IOException, InterruptedException;
    }

    /**
     * A raw TCP peer on loopback, for exchanges an HTTP server would not produce: takes connections
     * one after another on its own thread, reads one request from each, runs {@code answer}, then
     * closes the connection. Closed after the test.
     */
    private ServerSocket rawPeer(PeerAnswer answer) throws IOException {
        return rawPeerOnSocket(s -> answer.answer(s.getOutputStream()));
    }

    private ServerSocket rawPeerOnSocket(PeerConnection answer) throws IOException {
        ServerSocket peer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeLater.add(peer);
        Thread thread = new Thread(() -> {
            while (!peer.isClosed()) {
                try (Socket s = peer.accept()) {
                    s.getInputStream().read(new byte[4096]);
                    answer.answer(s);
                } catch (IOException | InterruptedException e) {
                    return; // closed by the test
                }
            }
        }, "raw-peer");
        thread.setDaemon(true);
        thread.start();
        return peer;
    }

    /** The call's failure, which must be the SDK's {@link OpenAIIoException}, as from its own transport. */
    private static Throwable ioFailure(CompletableFuture<HttpResponse> call) {
        Throwable error = assertThrows(Exception.class, () -> call.get(5, TimeUnit.SECONDS)).getCause();
        return assertInstanceOf(OpenAIIoException.class, error);
    }

    private static String text(HttpResponse r) throws IOException {
        try (InputStream in = r.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void sendsTheRequestAsWritten_andReusesTheConnection() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            seen.put("method", ex.getRequestMethod());
            seen.put("uri", ex.getRequestURI().getRawPath() + "?" + ex.getRequestURI().getRawQuery());
            seen.put("host", ex.getRequestHeaders().getFirst("Host"));
            seen.put("auth", ex.getRequestHeaders().getFirst("Authorization"));
            seen.put("type", ex.getRequestHeaders().getFirst("Content-Type"));
            seen.put("body", new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            clientPorts.add(ex.getRemoteAddress().getPort());
            byte[] out = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("X-Request-Id", "req_1");
            ex.sendResponseHeaders(201, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        closeLater.add(() -> server.stop(0));
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";

        for (int i = 0; i < 3; i++) {
            HttpResponse r = transport.executeAsync(post(base, Map.of("prompt", "a cat")), RequestOptions.none()).get(5, TimeUnit.SECONDS);
            assertEquals(201, r.statusCode());
            assertEquals("{\"ok\":true}", text(r));
            assertEquals(List.of("req_1"), r.headers().values("x-request-id"));
        }
        assertEquals("POST", seen.get("method"));
        assertEquals("/v1/images/generations?q=a+b%26c", seen.get("uri"));
        assertEquals("127.0.0.1:" + server.getAddress().getPort(), seen.get("host"));
        assertEquals("Bearer sk-test", seen.get("auth"));
        assertTrue(seen.get("type").startsWith("application/json"), seen.get("type"));
        assertEquals("{\"prompt\":\"a cat\"}", seen.get("body"));
        assertEquals(1, clientPorts.size(), "three sequential requests should share one keep-alive connection: " + clientPorts);
    }

    @Test
    void holdsManyRequestsInFlight_withoutACap() throws Exception {
        int inFlight = 200; // the SDK's OkHttp transport would queue everything past 64
        CountDownLatch arrived = new CountDownLatch(inFlight);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), inFlight);
        server.setExecutor(Executors.newFixedThreadPool(inFlight));
        server.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            arrived.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, 2);
            ex.getResponseBody().write("{}".getBytes(StandardCharsets.UTF_8));
            ex.close();
        });
        server.start();
        closeLater.add(() -> server.stop(0));
        String base = "http://127.0.0.1:" + server.getAddress().getPort();

        List<CompletableFuture<HttpResponse>> calls = new ArrayList<>();
        for (int i = 0; i < inFlight; i++) {
            calls.add(transport.executeAsync(post(base, Map.of("i", i)), RequestOptions.none()));
        }
        assertTrue(arrived.await(10, TimeUnit.SECONDS), "only " + (inFlight - arrived.getCount()) + " requests reached the server");
        release.countDown();
        for (CompletableFuture<HttpResponse> call : calls) {
            assertEquals(200, call.get(10, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void noAnswerWithinTheTimeout_failsWithATimeoutCause() throws Exception {
        CountDownLatch testOver = new CountDownLatch(1);
        closeLater.add(testOver::countDown);
        ServerSocket silent = rawPeer(out -> testOver.await()); // reads the request, never answers (until the test ends)
        long start = System.nanoTime();
        CompletableFuture<HttpResponse> call = transport.executeAsync(post("http://127.0.0.1:" + silent.getLocalPort(), Map.of()),
                timeout(Duration.ofMillis(300)));
        Throwable error = ioFailure(call);
        assertInstanceOf(TimeoutException.class, error.getCause());
        assertEquals(FailureKind.TIMEOUT, CLASSIFIER.classify(error).kind());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_500, "the timeout was not applied");
    }

    @Test
    void refusedConnection_failsWithTheConnectError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CompletableFuture<HttpResponse> call = transport.executeAsync(post("http://127.0.0.1:" + port, Map.of()), RequestOptions.none());
        Throwable error = ioFailure(call);
        Throwable cause = error.getCause();
        assertTrue(cause instanceof ConnectException || cause.getCause() instanceof ConnectException, String.valueOf(cause));
        assertEquals(FailureKind.NETWORK, CLASSIFIER.classify(error).kind());
    }

    @Test
    void connectionCutMidResponse_failsAsAnIoError() throws Exception {
        // promises 1000 bytes, sends 8, closes
        ServerSocket peer = rawPeer(out -> out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"data\":"
                .getBytes(StandardCharsets.US_ASCII)));
        CompletableFuture<HttpResponse> call = transport.executeAsync(post("http://127.0.0.1:" + peer.getLocalPort(), Map.of()),
                RequestOptions.none());
        Throwable error = ioFailure(call);
        assertEquals(FailureKind.NETWORK, CLASSIFIER.classify(error).kind(), String.valueOf(error.getCause()));
    }

    @Test
    void connectionClosedByThePeerWhileIdle_isNotReused() throws Exception {
        // Each accepted connection answers one request, then the peer closes it (as a provider does
        // with an idle keep-alive connection); the next request must open a new one and succeed.
        // The first close waits until the client has its answer (the connection is idle in the pool),
        // and the test goes on once the client has closed its end too: it has seen the close.
        AtomicInteger accepted = new AtomicInteger();
        CountDownLatch firstAnswered = new CountDownLatch(1);
        CountDownLatch firstClosedByClient = new CountDownLatch(1);
        ServerSocket peer = rawPeerOnSocket(s -> {
            boolean first = accepted.incrementAndGet() == 1;
            s.getOutputStream().write(OK_EMPTY_JSON);
            s.getOutputStream().flush();
            if (first) {
                firstAnswered.await(10, TimeUnit.SECONDS);
                s.shutdownOutput(); // the peer's close: FIN to the client
                s.setSoTimeout(10_000);
                if (s.getInputStream().read() == -1) { // the client closed its end
                    firstClosedByClient.countDown();
                }
            }
        });
        String base = "http://127.0.0.1:" + peer.getLocalPort();
        assertEquals(200, transport.executeAsync(post(base, Map.of()), RequestOptions.none()).get(5, TimeUnit.SECONDS).statusCode());
        firstAnswered.countDown();
        assertTrue(firstClosedByClient.await(10, TimeUnit.SECONDS), "the client never closed the connection the peer closed");
        assertEquals(200, transport.executeAsync(post(base, Map.of()), RequestOptions.none()).get(5, TimeUnit.SECONDS).statusCode());
        assertEquals(2, accepted.get());
    }

    @Test
    void callbackExecutorShutDown_theCallStillCompletes() throws Exception {
        // At application shutdown the storage workers stop taking tasks before every call has ended;
        // a response arriving then must still complete its future, not leave the caller waiting.
        ExecutorService stopped = Executors.newSingleThreadExecutor();
        stopped.shutdown();
        NettyHttpTransport late = new NettyHttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(5), stopped);
        closeLater.add(late);
        ServerSocket peer = rawPeer(out -> out.write(OK_EMPTY_JSON));
        HttpResponse r = late.executeAsync(post("http://127.0.0.1:" + peer.getLocalPort(), Map.of()), RequestOptions.none())
                .get(5, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertEquals("{}", text(r));
    }

    @Test
    void baseUrlWithTrailingSlashes_givesOneSlashBeforeThePath() {
        HttpRequest request = HttpRequest.builder().method(HttpMethod.GET).baseUrl("https://api.example.test/v1//")
                .addPathSegments("models", "gpt image/1").build();
        assertEquals("https://api.example.test/v1/models/gpt%20image%2F1", NettyHttpTransport.uri(request).toString());
    }

    @Test
    void unsupportedScheme_failsWithoutConnecting() {
        CompletableFuture<HttpResponse> call = transport.executeAsync(post("ftp://127.0.0.1:21", Map.of()), RequestOptions.none());
        Throwable error = ioFailure(call);
        assertTrue(error.getCause().getMessage().contains("http or https"), error.getCause().getMessage());
    }
}
