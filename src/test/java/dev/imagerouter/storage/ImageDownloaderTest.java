package dev.imagerouter.storage;

import dev.imagerouter.provider.DownloadSettings;
import dev.imagerouter.provider.ImageDownloader;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.imagerouter.vocabulary.GeneratedImage;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real HTTP against a throwaway local server. */
class ImageDownloaderTest {

    private static final long MAX_BYTES = 64 * 1024;

    private HttpServer server;
    private ExecutorService serverThreads;
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch testOver = new CountDownLatch(1);
    private byte[] png;
    private ImageDownloader downloader;
    private String base;

    @BeforeEach
    void start() throws IOException {
        png = ImageNormaliserTest.stripes(64, 64, "png", BufferedImage.TYPE_INT_RGB);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        handle("/image.png", exchange -> respond(exchange, 200, "image/png; charset=binary", png, false));
        handle("/untyped", exchange -> respond(exchange, 200, null, png, false));
        handle("/photo.jpg", exchange -> respond(exchange, 200, "image/jpeg", png, false));
        handle("/redirect", exchange -> {
            exchange.getResponseHeaders().add("Location", "http://evil.example/image.png");
            respond(exchange, 302, null, new byte[0], false);
        });
        handle("/error", exchange -> respond(exchange, 500, "text/plain", "boom".getBytes(), false));
        handle("/missing", exchange -> respond(exchange, 404, "text/plain", "nope".getBytes(), false));
        handle("/empty", exchange -> respond(exchange, 200, "image/png", new byte[0], false));
        handle("/exactly-max", exchange -> respond(exchange, 200, "image/png", new byte[(int) MAX_BYTES], false));
        handle("/one-over", exchange -> respond(exchange, 200, "image/png", new byte[(int) MAX_BYTES + 1], false));
        handle("/huge", exchange -> respond(exchange, 200, "image/png", new byte[(int) MAX_BYTES * 4], false));
        handle("/huge-chunked", exchange -> respond(exchange, 200, "image/png", new byte[(int) MAX_BYTES * 4], true));
        handle("/slow", exchange -> {
            try {
                testOver.await(30, TimeUnit.SECONDS); // a peer that answers only when the test is over
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(exchange, 200, "image/png", png, false);
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        downloader = new ImageDownloader(new DownloadSettings(Set.of("127.0.0.1"), MAX_BYTES, Duration.ofMillis(1_000)));
    }

    @AfterEach
    void stop() {
        testOver.countDown();
        downloader.close();
        server.stop(0);
        serverThreads.shutdownNow();
    }

    private void handle(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            requests.incrementAndGet();
            try (exchange) {
                handler.handle(exchange);
            }
        });
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] body, boolean chunked)
            throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().add("Content-Type", contentType);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : chunked ? 0 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            } catch (IOException e) {
                // the client hung up on an oversized body: expected
            }
        }
    }

    private static ProviderFailure failure(CompletableFuture<GeneratedImage> download) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> download.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(ProviderFailure.class, e.getCause(), "fails with the ProviderFailure itself");
    }

    @Test
    void allowedHost_png_isDownloadedWithItsContentType() throws Exception {
        GeneratedImage image = downloader.download(base + "/image.png?sig=abc%2F").get(10, TimeUnit.SECONDS);
        assertArrayEquals(png, image.bytes());
        assertEquals("image/png", image.contentType(), "parameters dropped");

        assertEquals("image/jpeg", downloader.download(base + "/photo.jpg").get(10, TimeUnit.SECONDS).contentType());
        assertEquals("image/png", downloader.download(base + "/untyped").get(10, TimeUnit.SECONDS).contentType());
        assertEquals(MAX_BYTES, downloader.download(base + "/exactly-max").get(10, TimeUnit.SECONDS).bytes().length);
    }

    @Test
    void hostNotAllowed_isRefusedWithoutAnyConnection() {
        // Given a server that would answer, reached under a name that is not allow-listed
        String url = "http://localhost:" + server.getAddress().getPort() + "/image.png";

        ProviderFailure failure = failure(downloader.download(url));

        assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind());
        assertEquals("image host not allowed: localhost", failure.getMessage());
        assertEquals(0, requests.get(), "the server saw no request");
    }

    @Test
    void badSchemesAndUrls_areRefusedWithoutAnyConnection() {
        for (String url : new String[] {"file:///etc/passwd", "ftp://127.0.0.1/x.png", "not a url", "/relative.png", "http:///x.png"}) {
            assertEquals(FailureKind.MALFORMED_RESPONSE, failure(downloader.download(url)).kind(), url);
        }
        assertEquals(FailureKind.MALFORMED_RESPONSE, failure(downloader.download(null)).kind());
        assertEquals(0, requests.get());
    }

    @Test
    void redirect_isNotFollowed() {
        ProviderFailure failure = failure(downloader.download(base + "/redirect"));
        assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind());
        assertTrue(failure.getMessage().contains("redirect not followed"), failure.getMessage());
        assertEquals(Optional.of(302), failure.httpStatus());
        assertEquals(1, requests.get());
    }

    @Test
    void non2xx_isMalformedResponse_withTheStatus() {
        ProviderFailure error = failure(downloader.download(base + "/error"));
        assertEquals(FailureKind.MALFORMED_RESPONSE, error.kind());
        assertEquals(Optional.of(500), error.httpStatus());
        assertTrue(error.getMessage().contains("HTTP 500"), error.getMessage());
        assertEquals(Optional.of(404), failure(downloader.download(base + "/missing")).httpStatus());
    }

    @Test
    void oversizedOrEmptyBodies_areMalformedResponse() {
        for (String path : new String[] {"/one-over", "/huge", "/huge-chunked"}) {
            ProviderFailure failure = failure(downloader.download(base + path));
            assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind(), path);
            assertTrue(failure.getMessage().contains("larger than " + MAX_BYTES + " bytes"), path + ": " + failure.getMessage());
        }
        assertEquals(FailureKind.MALFORMED_RESPONSE, failure(downloader.download(base + "/empty")).kind());
    }

    @Test
    void slowServer_isTimeout() {
        long start = System.nanoTime();
        ProviderFailure failure = failure(downloader.download(base + "/slow"));
        assertEquals(FailureKind.TIMEOUT, failure.kind(), failure.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 2_900, "gave up at the deadline");
    }

    @Test
    void refusedConnection_isNetwork() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        ProviderFailure failure = failure(downloader.download("http://127.0.0.1:" + port + "/image.png"));
        assertEquals(FailureKind.NETWORK, failure.kind(), failure.getMessage());
    }

    @Test
    void resetConnection_isNetwork() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> resetter = CompletableFuture.runAsync(() -> {
                try (Socket client = socket.accept()) {
                    InputStream in = client.getInputStream();
                    in.read(new byte[1024]); // wait for the request line
                    client.setSoLinger(true, 0); // close with RST
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            ProviderFailure failure = failure(downloader.download("http://127.0.0.1:" + socket.getLocalPort() + "/image.png"));
            assertEquals(FailureKind.NETWORK, failure.kind(), failure.getMessage());
            resetter.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void closedDownloader_failsWithNetwork() {
        downloader.close();
        assertEquals(FailureKind.NETWORK, failure(downloader.download(base + "/image.png")).kind());
        assertEquals(0, requests.get());
    }

    @Test
    void allowList_matchesExactHostsCaseInsensitively_andWildcardSubdomainsOnly() {
        DownloadSettings settings = new DownloadSettings(Set.of("CDN.leonardo.ai", "*.Example.com"));
        assertTrue(settings.allows("cdn.leonardo.ai"));
        assertTrue(settings.allows("cdn.LEONARDO.ai"));
        assertFalse(settings.allows("evil-cdn.leonardo.ai"));
        assertFalse(settings.allows("leonardo.ai"));
        assertTrue(settings.allows("img.example.com"));
        assertTrue(settings.allows("a.b.example.com"));
        assertFalse(settings.allows("example.com"));
        assertFalse(settings.allows("evilexample.com"));
        assertFalse(settings.allows("example.com.evil.net"));
        assertEquals(Set.of("cdn.leonardo.ai", "*.example.com"), settings.allowedHosts());
        assertEquals(DownloadSettings.DEFAULT_MAX_BYTES, settings.maxBytes());
        assertEquals(Duration.ofSeconds(20), settings.timeout());
        for (String bad : Arrays.asList("https://cdn.leonardo.ai", "cdn.leonardo.ai:443", "cdn.leonardo.ai/x", "", "*.", "*")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DownloadSettings(Set.of(bad)), bad);
            assertTrue(e.getMessage().contains("router.storage.download.allowed-hosts"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new DownloadSettings(Set.of(), 0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new DownloadSettings(Set.of(), 1, Duration.ZERO));
    }
}
