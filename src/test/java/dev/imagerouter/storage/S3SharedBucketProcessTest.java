package dev.imagerouter.storage;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterProcess;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.S3Server;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Two router processes that share nothing but a bucket (each its own {@code router.storage.dir}, its
 * own in-process emulators, credentials in the standard AWS variables): an image URL handed out by one
 * is served by the other from the bucket, and the other answers the identical request from the
 * per-hash record as a cache hit, without calling a provider. Neither prints the credentials.
 */
class S3SharedBucketProcessTest {

    private static final Duration START = Duration.ofSeconds(90);

    private static Map<String, String> env(S3Server s3, String bucket) {
        Map<String, String> env = new HashMap<>(s3.env(bucket));
        env.put("ROUTER_STORAGE_PROBE_INTERVAL", "250ms"); // ready soon after the bucket is
        env.put("ROUTER_CONFIG_DIR", TestConfigDir.copyOfRepository().configDir().toString());
        env.put("ROUTER_STORAGE_DIR", RouterTestSupport.tempDir("replica").toString()); // no shared disk
        env.put("ROUTER_RELOAD_WATCH", "false");
        env.put("ROUTER_SANDBOX", "true");
        env.put("ROUTER_SANDBOX_PENDING_MIN", "100ms");
        env.put("ROUTER_SANDBOX_PENDING_MAX", "200ms");
        return env;
    }

    private static ApiClient api(int port) {
        return new ApiClient("http://127.0.0.1:" + port, ObjectMapper.getDefault());
    }

    private static long stat(ApiClient api, String name) {
        return ((Number) api.get("/sandbox/stats").json().get(name)).longValue();
    }

    @Test
    void secondReplicaOnTheSameBucket_servesTheFirstOnesUrl_andAnswersTheIdenticalRequestFromTheRecord() throws Exception {
        String bucket = S3Server.BUCKET;
        try (S3Server s3 = S3Server.startInBackground(); // boots while the routers do
             RouterProcess first = RouterProcess.start(env(s3, bucket));
             RouterProcess second = RouterProcess.start(env(s3, bucket))) {
            ApiClient one = api(first.awaitPort(START));
            ApiClient two = api(second.awaitPort(START));
            await().atMost(START).until(() -> one.get("/health/readiness").status() == 200
                    && two.get("/health/readiness").status() == 200);

            // Given a generation answered by the first replica, its record in the bucket
            String body = "{\"prompt\":\"shared bucket " + UUID.randomUUID() + "\"}";
            ApiClient.Response made = one.generate(body);
            assertEquals(200, made.status(), made.text());
            assertEquals("MISS", made.header("X-Router-Cache"));
            String hash = (String) made.router().get("request_hash");
            await().atMost(Duration.ofSeconds(10)).until(() -> s3.object(bucket, "records/" + hash + ".json") != null);
            String path = URI.create((String) made.data().get(0).get("url")).getPath();
            byte[] image = one.get(path).body();

            // When the second replica is asked for the same URL's path and for the identical request
            ApiClient.Response file = two.get(path);
            ApiClient.Response again = two.generate(body);

            // Then it serves the same bytes, and answers from the record: a hit, no provider called
            assertEquals(200, file.status(), file.text());
            assertArrayEquals(image, file.body());
            assertEquals(200, again.status(), again.text());
            assertEquals("HIT", again.header("X-Router-Cache"));
            assertEquals(true, again.router().get("cached"));
            assertEquals(path, URI.create((String) again.data().get(0).get("url")).getPath());
            assertEquals(0, stat(two, "leonardo_creates"));
            assertEquals(0, stat(two, "openai_generates"));

            // And neither replica printed the credentials
            for (RouterProcess replica : new RouterProcess[]{first, second}) {
                String output = replica.output();
                assertNotNull(output);
                assertFalse(output.contains(S3Server.SECRET_ACCESS_KEY), output);
                assertFalse(output.contains(S3Server.ACCESS_KEY_ID), output);
            }
        }
    }
}
