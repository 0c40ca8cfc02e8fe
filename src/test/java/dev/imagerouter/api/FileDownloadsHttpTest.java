package dev.imagerouter.api;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.netty.util.internal.PlatformDependent;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image files are streamed from disk, and one client may have only a bounded number of file responses in
 * progress: slow readers (raw sockets that send the GET and never read) hold their slots, the next request
 * of that client gets 429, another client (another remote address) is served, and the server does not
 * hold the file once per reader.
 */
@MicronautTest
class FileDownloadsHttpTest extends SandboxHttpTest {

    static final int BOUND = 3;
    static final int FILE_BYTES = 32 * 1024 * 1024;

    @Inject
    FileDownloads downloads;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.storage.max-concurrent-downloads-per-client", Integer.toString(BOUND));
    }

    /** Puts a large file into the content-addressed store, as the store names it; returns its file name. */
    private String storeLargeFile() throws Exception {
        byte[] bytes = new byte[FILE_BYTES];
        new Random(7).nextBytes(bytes);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        Path dir = Path.of(property("router.storage.dir")).resolve(sha.substring(0, 2));
        Files.createDirectories(dir);
        Files.write(dir.resolve(sha + ".png"), bytes);
        return sha + ".png";
    }

    private Socket slowReader(String fileName, String from) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096); // keep the kernel from absorbing much of the file
        socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        socket.connect(new InetSocketAddress("127.0.0.1", server.getPort()), 5000);
        socket.getOutputStream().write(("GET /v1/images/files/" + fileName + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    private static long usedMemory() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = Math.max(0, PlatformDependent.usedDirectMemory());
        return heap + direct;
    }

    @Test
    void slowReaders_holdTheirClientsSlots_nextGets429_anotherClientIsServed_andTheFileIsNotHeldPerReader() throws Exception {
        String fileName = storeLargeFile();
        long before = usedMemory();
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < BOUND; i++) {
                slow.add(slowReader(fileName, "127.0.0.1"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> downloads.inProgress("127.0.0.1") == BOUND);

            // the same client's next request is refused, in the OpenAI error shape
            ApiClient.Response refused = api.get("http://127.0.0.1:" + server.getPort() + "/v1/images/files/" + fileName);
            assertEquals(429, refused.status(), refused.text());
            assertEquals("rate_limit_exceeded", refused.error().get("code"));
            assertNotNull(refused.header("Retry-After"));

            // another client (another address) is served the whole file
            try (Socket other = new Socket()) {
                other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                other.connect(new InetSocketAddress("127.0.0.1", server.getPort()), 5000);
                other.setSoTimeout(30_000);
                other.getOutputStream().write(("GET /v1/images/files/" + fileName + " HTTP/1.1\r\nHost: localhost\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = other.getInputStream();
                String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
                assertTrue(head.toLowerCase().contains("content-length: " + FILE_BYTES), head);
                assertEquals(FILE_BYTES, in.transferTo(OutputStream.nullOutputStream()), "body bytes");
            }

            // the stalled responses do not hold the file once per reader (reading it whole would hold BOUND x 32 MiB)
            long grown = usedMemory() - before;
            assertTrue(grown < FILE_BYTES, "memory grew by " + grown / (1024 * 1024) + " MiB with " + BOUND
                    + " stalled readers of a " + FILE_BYTES / (1024 * 1024) + " MiB file");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        // readers that went away give their slots back, and the client is served again
        await().atMost(Duration.ofSeconds(10)).until(() -> downloads.inProgress("127.0.0.1") == 0);
        ApiClient.Response again = api.get("http://127.0.0.1:" + server.getPort() + "/v1/images/files/" + fileName);
        assertEquals(200, again.status());
        assertEquals(FILE_BYTES, again.body().length);
        assertEquals("nosniff", again.header("X-Content-Type-Options"));
        assertTrue(again.header("Cache-Control").contains("immutable"));
        assertArrayEquals(Files.readAllBytes(Path.of(property("router.storage.dir")).resolve(fileName.substring(0, 2))
                .resolve(fileName)), again.body());
    }

    /** The status line and headers, read byte by byte up to the blank line (the body stays unread). */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            String text = head.toString(StandardCharsets.ISO_8859_1);
            if (text.endsWith("\r\n\r\n")) {
                return text;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
