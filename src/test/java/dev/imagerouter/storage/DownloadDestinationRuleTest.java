package dev.imagerouter.storage;

import dev.imagerouter.provider.DownloadSettings;
import dev.imagerouter.provider.ImageDownloader;

import com.sun.net.httpserver.HttpServer;
import dev.imagerouter.vocabulary.GeneratedImage;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outbound-destination rule of provider image downloads: https on 443 unless the host is listed
 * by exact name in {@code router.storage.download.allowed-hosts}, which may then use http and any port.
 * The HTTP cases use a local server on 127.0.0.1; the entry {@code *.0.0.1} is a wildcard that matches
 * that host, so the same server shows both an exact listing (fetched) and a wildcard match (refused
 * before any connection).
 */
class DownloadDestinationRuleTest {

    private static final byte[] BODY = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0};

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private int port;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/image.png", exchange -> {
            requests.incrementAndGet();
            try (exchange) {
                exchange.getResponseHeaders().add("Content-Type", "image/png");
                exchange.sendResponseHeaders(200, BODY.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(BODY);
                }
            }
        });
        server.start();
        port = server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static ProviderFailure failure(CompletableFuture<GeneratedImage> download) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> download.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(ProviderFailure.class, e.getCause());
    }

    @Test
    void rule_exactNameAllowsHttpAndAnyPort_wildcardAllowsHttpsOn443Only() {
        DownloadSettings s = new DownloadSettings(Set.of("*.leonardo.ai", "Images.Example.com"));
        // https 443 on a wildcard host: allowed (default port or explicit)
        assertTrue(s.allows("https", "cdn.leonardo.ai", -1));
        assertTrue(s.allows("HTTPS", "CDN.leonardo.ai", 443));
        // http on a wildcard host: refused, whatever the port
        assertFalse(s.allows("http", "cdn.leonardo.ai", -1));
        assertFalse(s.allows("http", "cdn.leonardo.ai", 443));
        // https on another port of a wildcard host: refused
        assertFalse(s.allows("https", "cdn.leonardo.ai", 8443));
        // exact host: http and any port
        assertTrue(s.allows("http", "images.example.com", -1));
        assertTrue(s.allows("http", "images.example.com", 8080));
        assertTrue(s.allows("https", "images.example.com", 8443));
        // not listed, or another scheme: refused
        assertFalse(s.allows("https", "leonardo.ai", 443));
        assertFalse(s.allows("https", "evil.example.com", 443));
        assertFalse(s.allows("ftp", "images.example.com", 21));
        assertTrue(s.listedExactly("IMAGES.example.com"));
        assertFalse(s.listedExactly("cdn.leonardo.ai"));
    }

    @Test
    void exactlyListedHost_isFetchedOverHttpOnAnyPort() throws Exception {
        try (ImageDownloader downloader = downloader("127.0.0.1")) {
            GeneratedImage image = downloader.download("http://127.0.0.1:" + port + "/image.png").get(10, TimeUnit.SECONDS);
            assertArrayEquals(BODY, image.bytes());
            assertEquals(1, requests.get());
        }
    }

    @Test
    void wildcardMatchedHost_overHttp_isRefusedBeforeAnyConnection() {
        try (ImageDownloader downloader = downloader("*.0.0.1")) {
            ProviderFailure f = failure(downloader.download("http://127.0.0.1:" + port + "/image.png"));
            assertEquals(FailureKind.MALFORMED_RESPONSE, f.kind());
            assertTrue(f.getMessage().contains("not allowed"), f.getMessage());
            assertEquals(0, requests.get(), "the server was never asked");
        }
    }

    @Test
    void wildcardMatchedHost_overHttpsOnAnotherPortThan443_isRefusedBeforeAnyConnection() {
        try (ImageDownloader downloader = downloader("*.0.0.1")) {
            ProviderFailure f = failure(downloader.download("https://127.0.0.1:8443/image.png"));
            assertEquals(FailureKind.MALFORMED_RESPONSE, f.kind());
            assertTrue(f.getMessage().contains("https on port 443"), f.getMessage());
            f = failure(downloader.download("https://127.0.0.1:" + port + "/image.png"));
            assertEquals(FailureKind.MALFORMED_RESPONSE, f.kind());
            assertEquals(0, requests.get(), "the server was never asked");
        }
    }

    private static ImageDownloader downloader(String... hosts) {
        return new ImageDownloader(new DownloadSettings(Set.of(hosts), 1024, Duration.ofSeconds(5)));
    }
}
