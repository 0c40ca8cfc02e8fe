package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.settings.StorageSettings;
import dev.imagerouter.testing.TestConfigDir;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code router.storage.s3.*}: a bucket switches the image store to S3 (given in the file or as
 * {@code ROUTER_STORAGE_S3_*} overrides), and every mistake stops startup naming the key, the value and
 * what was expected, without ever echoing a credential.
 */
class StorageS3ConfigTest {

    private static StorageSettings load(TestConfigDir dir, Map<String, String> overrides) {
        return new ConfigLoader(key -> Optional.ofNullable(overrides.get(key)), name -> null, ProviderAdapters::validate)
                .load(dir.configDir()).storage();
    }

    private static String problems(TestConfigDir dir, Map<String, String> overrides) {
        return assertThrows(ConfigException.class, () -> load(dir, overrides)).getMessage();
    }

    private static Map<String, String> bucket(String... more) {
        Map<String, String> p = new HashMap<>(Map.of("router.storage.s3.bucket", "images-prod",
                "router.storage.s3.region", "eu-west-1"));
        for (int i = 0; i + 1 < more.length; i += 2) {
            p.put(more[i], more[i + 1]);
        }
        return p;
    }

    @Test
    void shippedFile_keepsImagesInTheLocalDirectory() {
        assertEquals(Optional.empty(), load(TestConfigDir.copyOfRepository(), Map.of()).s3());
    }

    @Test
    void aBucket_switchesToS3_withEveryKeyRead_andThePrefixEndingInASlash() {
        StorageSettings storage = load(TestConfigDir.copyOfRepository(), bucket("router.storage.s3.endpoint", "http://127.0.0.1:9000/",
                "router.storage.s3.path-style", "true", "router.storage.s3.prefix", "router/a", "router.storage.s3.max-connections", "12"));

        assertEquals(Optional.of(new StorageSettings.S3("http://127.0.0.1:9000", "images-prod", "eu-west-1", true, "router/a/", 12)),
                storage.s3());
        assertEquals("s3://images-prod/router/a/ at http://127.0.0.1:9000 (path-style)", storage.s3().get().describe());
    }

    @Test
    void theFileItself_mayNameTheBucket() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "      bucket: \"\"", "      bucket: images-prod");
        dir.replace(dir.applicationFile(), "      region: ${AWS_REGION:}", "      region: us-east-1");

        assertEquals("images-prod", load(dir, Map.of()).s3().orElseThrow().bucket());
        assertEquals("", load(dir, Map.of()).s3().orElseThrow().endpoint(), "empty: AWS's own endpoint");
    }

    @Test
    void aBucketWithoutRegion_isReportedNamingBoth() {
        String m = problems(TestConfigDir.copyOfRepository(), Map.of("router.storage.s3.bucket", "images-prod"));
        assertTrue(m.contains("router.storage.s3.region must be set when router.storage.s3.bucket is (bucket 'images-prod')"), m);
    }

    @Test
    void badEndpoints_areReported_andUserInfoIsNeverEchoed() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        assertTrue(problems(dir, bucket("router.storage.s3.endpoint", "ftp://store.example.com"))
                .contains("router.storage.s3.endpoint must be an absolute http(s) URL"));
        assertTrue(problems(dir, bucket("router.storage.s3.endpoint", "store.example.com:9000"))
                .contains("router.storage.s3.endpoint must be an absolute http(s) URL"));
        assertTrue(problems(dir, bucket("router.storage.s3.endpoint", "http://store.example.com/bucket"))
                .contains("without path, query or fragment"));
        String m = problems(dir, bucket("router.storage.s3.endpoint", "http://AKIDEXAMPLE:wJalrXUtnFEMI@store.example.com"));
        assertTrue(m.contains("must not carry user info"), m);
        assertFalse(m.contains("wJalrXUtnFEMI") || m.contains("AKIDEXAMPLE"), m);
    }

    @Test
    void badBucketNamesRegionsAndPrefixes_areReported() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        assertTrue(problems(dir, bucket("router.storage.s3.bucket", "a/b")).contains("router.storage.s3.bucket must be a bucket name"));
        assertTrue(problems(dir, bucket("router.storage.s3.region", "EU West")).contains("router.storage.s3.region must be a region name"));
        assertTrue(problems(dir, bucket("router.storage.s3.prefix", "/abs")).contains("router.storage.s3.prefix must be empty or a key prefix"));
        assertTrue(problems(dir, bucket("router.storage.s3.prefix", "a/../b")).contains("router.storage.s3.prefix"));
        assertTrue(problems(dir, bucket("router.storage.s3.max-connections", "0")).contains("router.storage.s3.max-connections = '0'"));
    }

    @Test
    void anEndpointWithoutBucket_isReported_ratherThanSilentlyStoringLocally() {
        String m = problems(TestConfigDir.copyOfRepository(), Map.of("router.storage.s3.endpoint", "http://127.0.0.1:9000"));
        assertTrue(m.contains("router.storage.s3.endpoint = 'http://127.0.0.1:9000': expected empty unless router.storage.s3.bucket is set"), m);
    }

    @Test
    void credentialsInTheFile_areRefused_withoutShowingThem() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        dir.replace(dir.applicationFile(), "      bucket: \"\"", "      bucket: images-prod\n      secret-access-key: wJalrXUtnFEMI-example");
        dir.replace(dir.applicationFile(), "      region: ${AWS_REGION:}", "      region: us-east-1");

        String m = problems(dir, Map.of());

        assertTrue(m.contains("router.storage.s3.secret-access-key = '(not shown)'"), m);
        assertTrue(m.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), m);
        assertFalse(m.contains("wJalrXUtnFEMI"), m);
    }
}
