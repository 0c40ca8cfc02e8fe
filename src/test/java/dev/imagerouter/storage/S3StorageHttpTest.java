package dev.imagerouter.storage;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.LogCapture;
import dev.imagerouter.testing.S3Server;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sandboxed router whose images and records live in a real S3-compatible bucket (S3Proxy over HTTP
 * on loopback): a generation is in the bucket before its URL is answered, the URL serves it from the
 * bucket with the file endpoint's headers, {@code router.storage.public-base-url} shapes the URLs (and
 * the bucket's key is the one a CDN maps the URL's path to), and the credentials are in no log line and
 * no admin answer.
 */
@MicronautTest
class S3StorageHttpTest extends SandboxHttpTest {

    private static final String CDN = "https://cdn.example.com/assets";

    private S3Server s3;
    private String bucket;
    private AutoCloseable credentials;

    @Override
    protected void properties(Map<String, String> p) {
        s3 = S3Server.shared();
        bucket = s3.newBucket();
        credentials = S3Server.credentialsInSystemProperties(); // the SDK's default chain reads them first
        p.putAll(s3.properties(bucket));
        p.put("router.storage.public-base-url", CDN + "/");
    }

    @AfterAll
    void clearCredentials() throws Exception {
        credentials.close();
    }

    /** The path of an image URL handed out under the CDN's base: {@code /v1/images/files/<sha256>.<ext>}. */
    private static String path(String url) {
        assertTrue(url.startsWith(CDN + "/v1/images/files/"), url);
        return url.substring(CDN.length());
    }

    @Test
    void generation_isInTheBucketWhenItsUrlIsAnswered_andTheUrlServesItFromTheBucket() throws Exception {
        // When a generation is answered
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("a lighthouse in S3") + "\"}");

        // Then the image is in the bucket already, under images/<sha256>.png, byte for byte what the URL serves
        assertEquals(200, r.status(), r.text());
        String name = path((String) r.data().get(0).get("url")).substring("/v1/images/files/".length());
        byte[] inBucket = s3.object(bucket, "images/" + name);
        assertNotNull(inBucket, "the image's PUT returned before the answer: " + s3.keys(bucket, ""));
        String sha = name.substring(0, name.indexOf('.'));
        assertEquals(sha, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(inBucket)));
        ApiClient.Response file = api.get(path((String) r.data().get(0).get("url")));
        assertEquals(200, file.status());
        assertArrayEquals(inBucket, file.body());
        assertEquals("\"" + sha + "\"", file.header("ETag"));
        assertEquals("public, max-age=31536000, immutable", file.header("Cache-Control"));
        assertEquals("image/png", file.header("Content-Type"));
        assertEquals(String.valueOf(inBucket.length), file.header("Content-Length"));
        ApiClient.Response notModified = api.get(path((String) r.data().get(0).get("url")), "If-None-Match", "\"" + sha + "\"");
        assertEquals(304, notModified.status());
        assertEquals(0, notModified.body().length);
        ApiClient.Response head = api.send(api.request(path((String) r.data().get(0).get("url")))
                .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, head.status());
        assertEquals("\"" + sha + "\"", head.header("ETag"));
        assertEquals(String.valueOf(inBucket.length), head.header("Content-Length"));
        assertEquals(0, head.body().length);

        // And the per-hash record follows it into the bucket, and nothing of either into the local directory
        String hash = (String) r.router().get("request_hash");
        await().atMost(Duration.ofSeconds(10)).until(() -> s3.object(bucket, "records/" + hash + ".json") != null);
        try (Stream<Path> files = Files.walk(Path.of(property("router.storage.dir")))) {
            assertEquals(List.of(), files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".png") || f.toString().endsWith(".json")).toList());
        }
    }

    @Test
    void missingFile_is404_andB64JsonIsReadFromTheBucket() throws Exception {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("inline from S3") + "\",\"response_format\":\"b64_json\"}");
        assertEquals(200, r.status(), r.text());
        byte[] inline = Base64.getDecoder().decode((String) r.data().get(0).get("b64_json"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(inline));
        assertArrayEquals(inline, s3.object(bucket, "images/" + sha + ".png"));

        ApiClient.Response missing = api.get("/v1/images/files/" + "0".repeat(64) + ".png");
        assertEquals(404, missing.status());
        assertNotNull(missing.error(), missing.text());
    }

    @Test
    void imageDeletedFromTheBucket_itsUrlIs404_thenTheNextIdenticalRequestGeneratesItAgain() {
        // Given a cached generation whose image someone deleted from the bucket
        String body = "{\"prompt\":\"" + prompt("deleted by hand") + "\"}";
        ApiClient.Response first = api.generate(body);
        assertEquals(200, first.status(), first.text());
        String path = path((String) first.data().get(0).get("url"));
        s3.client().deleteObject(b -> b.bucket(bucket).key("images/" + path.substring("/v1/images/files/".length())));

        // When its URL is fetched (the router reads the bucket and finds the image gone)
        assertEquals(404, api.get(path).status());
        stats.reset();

        // Then the identical request is no longer answered from the cache: it generates once, and the URL serves again
        ApiClient.Response again = api.generate(body);
        assertEquals(200, again.status(), again.text());
        assertEquals("MISS", again.header("X-Router-Cache"));
        assertEquals(1, stats.leonardoCreates());
        assertEquals(200, api.get(path((String) again.data().get(0).get("url"))).status());
    }

    @Test
    void theCredentials_areInNoLogLine_andNoAdminOrHealthAnswer() {
        try (LogCapture logs = new LogCapture()) {
            ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("no secrets") + "\"}");
            assertEquals(200, r.status(), r.text());
            assertEquals(200, api.get(path((String) r.data().get(0).get("url"))).status());
            ApiClient.Response config = api.get("/admin/config");
            ApiClient.Response chain = api.get("/admin/chain");
            ApiClient.Response health = api.get("/health");
            assertEquals(200, config.status(), config.text());
            assertTrue(config.text().contains(bucket), "the bucket is configuration and shown: " + config.text());
            for (ApiClient.Response answer : List.of(r, config, chain, health)) {
                assertFalse(answer.text().contains(S3Server.SECRET_ACCESS_KEY), answer.text());
                assertFalse(answer.text().contains(S3Server.ACCESS_KEY_ID), answer.text());
            }
            assertFalse(logs.lines().isEmpty(), "the capture sees the router's lines");
            for (String line : logs.lines()) {
                assertFalse(line.contains(S3Server.SECRET_ACCESS_KEY), line);
                assertFalse(line.contains(S3Server.ACCESS_KEY_ID), line);
            }
        }
    }
}
