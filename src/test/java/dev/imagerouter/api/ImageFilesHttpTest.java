package dev.imagerouter.api;

import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #4 acceptance for the image store's HTTP face and output normalisation, over real HTTP
 * against the sandbox emulators: exact sizes and formats whichever provider answered, the files
 * endpoint's caching headers, and names that try to leave the store.
 */
@MicronautTest
class ImageFilesHttpTest extends SandboxHttpTest {

    /** A stored PNG's {@code <sha256>} (made once for the whole class). */
    private String storedSha;

    @BeforeAll
    void storeOneImage() {
        api = new ApiClient(server.getURL().toString(), json);
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\"}");
        assertEquals(200, r.status(), r.text());
        String url = (String) r.data().get(0).get("url");
        storedSha = url.substring(url.lastIndexOf('/') + 1, url.lastIndexOf('.'));
    }

    @BeforeEach
    void setUp() {
        stats.reset();
    }

    private static String prompt() {
        return "a red kite over dunes " + UUID.randomUUID();
    }

    @Test
    void openAiAnswerForSize1000x600_isCroppedAndResized_toAPngOfExactlyThatSize() {
        // Given Leonardo rate limited, so OpenAI answers (gpt-image-2 needs edges in multiples of 16
        // and at least 655,360 pixels: it is asked for the nearest such size, 1056x624)
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\",\"size\":\"1000x600\"}",
                "X-Sandbox-Fault", "leonardo=429");

        assertEquals(200, r.status(), r.text());
        assertEquals("openai-gpt-image-2", r.router().get("provider"));
        assertTrue(stats.openAiGenerateBodies().get(0).contains("\"size\":\"1056x624\""), stats.openAiGenerateBodies().toString());
        assertEquals(true, r.router().get("normalised"));
        String url = (String) r.data().get(0).get("url");
        assertTrue(url.endsWith(".png"), url);
        ApiClient.Response file = api.get(url);
        assertEquals(200, file.status());
        assertEquals("image/png", file.header("Content-Type"));
        assertTrue(RouterTestSupport.isPng(file.body()));
        assertArrayEquals(new int[]{1000, 600}, RouterTestSupport.imageSize(file.body()));
    }

    @Test
    void outputFormatJpeg_isServedAsAJpegOfTheRequestedSize() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt() + "\",\"size\":\"1024x1536\",\"output_format\":\"jpeg\"}");

        assertEquals(200, r.status(), r.text());
        assertEquals(true, r.router().get("normalised"), "Leonardo makes PNGs, so the JPEG is a re-encoding");
        String url = (String) r.data().get(0).get("url");
        assertTrue(url.endsWith(".jpeg"), url);
        ApiClient.Response file = api.get(url);
        assertEquals(200, file.status());
        assertEquals("image/jpeg", file.header("Content-Type"));
        assertEquals(0xff, file.body()[0] & 0xff);
        assertEquals(0xd8, file.body()[1] & 0xff);
        assertArrayEquals(new int[]{1024, 1536}, RouterTestSupport.imageSize(file.body()));
    }

    @Test
    void storedFile_hasContentHashEtagAndImmutableCaching_and304OnIfNoneMatch() throws Exception {
        String path = "/v1/images/files/" + storedSha + ".png";

        ApiClient.Response file = api.get(path);

        assertEquals(200, file.status());
        assertEquals("\"" + storedSha + "\"", file.header("ETag"));
        assertEquals("public, max-age=31536000, immutable", file.header("Cache-Control"));
        assertEquals("image/png", file.header("Content-Type"));
        assertEquals(storedSha, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file.body())),
                "the name is the SHA-256 of the bytes");

        for (String ifNoneMatch : new String[]{"\"" + storedSha + "\"", "W/\"" + storedSha + "\"",
                "\"other\", \"" + storedSha + "\"", "*"}) {
            ApiClient.Response notModified = api.get(path, "If-None-Match", ifNoneMatch);
            assertEquals(304, notModified.status(), ifNoneMatch);
            assertEquals(0, notModified.body().length);
            assertEquals("\"" + storedSha + "\"", notModified.header("ETag"));
            assertEquals("public, max-age=31536000, immutable", notModified.header("Cache-Control"));
        }
        assertEquals(200, api.get(path, "If-None-Match", "\"" + "0".repeat(64) + "\"").status());
    }

    /**
     * Names that are not {@code <64 lowercase hex>.<png|jpeg|webp>} of a stored image: traversal
     * in plain and encoded forms, absolute paths, the store's own layout, case and length
     * variants. {@code SHA} stands for a stored image's hash. Every one is a 404 in the OpenAI
     * error shape and never the bytes of a file.
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "../../../../etc/passwd",
            "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
            "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
            "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "..%5c..%5c..%5cetc%5cpasswd",
            "%252e%252e%252fetc%252fpasswd",
            "..",
            "%2e%2e",
            "%2Fetc%2Fpasswd",
            "/etc/passwd",
            "file:%2F%2F%2Fetc%2Fpasswd",
            "records",
            "records%2F",
            "..%2Frecords",
            "SH%2FSHA.png",
            "SH/SHA.png",
            "..%2FSH%2FSHA.png",
            "SHA.png%00.txt",
            "SHA.png%2F..%2F..%2Fetc%2Fpasswd",
            "UPPER.png",
            "SHA.PNG",
            "SHA.gif",
            "SHA.json",
            "SHA",
            "SHA.",
            "SHA.png.png",
            "SHA.jpeg",
            "SHORT.png",
            "LONG.png",
            "0000000000000000000000000000000000000000000000000000000000000000.png",
            "%20SHA.png",
            "SHA.png%20",
    })
    void namesOutsideTheStoreOrNotAValidHash_are404InTheOpenAiErrorShape(String name) {
        String expanded = name
                .replace("UPPER", storedSha.toUpperCase(Locale.ROOT))
                .replace("SHORT", storedSha.substring(1))
                .replace("LONG", storedSha + "0")
                .replace("SHA", storedSha)
                .replace("SH", storedSha.substring(0, 2));
        String raw = server.getURL() + "/v1/images/files/" + expanded;
        // Sent byte for byte as written: the JDK client neither normalises dot segments nor re-encodes.
        ApiClient.Response r = api.send(HttpRequest.newBuilder(URI.create(raw)).GET().build());

        assertEquals(404, r.status(), raw + " -> " + r.text());
        assertTrue(r.header("Content-Type") != null && r.header("Content-Type").startsWith("application/json"),
                raw + " Content-Type " + r.header("Content-Type"));
        Map<String, Object> error = r.error();
        assertTrue(error.containsKey("message") && error.containsKey("type") && error.containsKey("param")
                && error.containsKey("code"), "OpenAI error shape: " + error);
        assertEquals("not_found", error.get("code"));
        assertEquals("invalid_request_error", error.get("type"));
        assertNull(r.header("ETag"));
        assertFalse(r.text().contains("root:"), "no file content");
        assertFalse(r.text().contains("\"requestHash\""), "no record content");
    }
}
