package dev.imagerouter.storage;

import dev.imagerouter.settings.StorageSettings;
import dev.imagerouter.storage.ImageStore.GenerationRecord;
import dev.imagerouter.storage.ImageStore.StoredImage;
import dev.imagerouter.testing.MutableClock;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.S3Server;
import dev.imagerouter.vocabulary.ProviderResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every backend of the image store promises, run against the local directory and a real
 * S3-compatible server (S3Proxy over HTTP on loopback, through the AWS SDK: no mock of the client).
 * Each test gets a fresh directory and a fresh bucket; a second store on the same settings plays a
 * restarted process or another replica.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageStoreContractTest {

    enum Backend { LOCAL, S3 }

    private static final byte[] BYTES = "not really a png, the store does not care".getBytes(StandardCharsets.UTF_8);
    // sha256 of BYTES, computed with `printf %s '...' | sha256sum`
    private static final String SHA = "125435bd839bd05ad42ddb941cd01fd3f49956ce92c97ec4e39099a3ef4985e1";

    private S3Server s3;
    private AutoCloseable credentials;
    private final List<ImageStore> opened = new ArrayList<>();

    @BeforeAll
    void startS3() {
        s3 = S3Server.shared();
        credentials = S3Server.credentialsInSystemProperties();
    }

    @AfterAll
    void stop() throws Exception {
        opened.forEach(ImageStore::close);
        credentials.close();
    }

    /** Settings of a fresh store of that backend: a new directory, and for S3 a new bucket. */
    private StorageSettings settings(Backend backend) {
        StorageSettings local = new StorageSettings(RouterTestSupport.tempDir("contract"), "");
        return backend == Backend.LOCAL ? local
                : local.withS3(new StorageSettings.S3(s3.endpoint(), s3.newBucket(), S3Server.REGION, true, "", 8));
    }

    private ImageStore open(StorageSettings settings) {
        ImageStore store = new ImageStore(settings);
        opened.add(store);
        return store;
    }

    /** Deletes an image behind the store's back, as an operator (or a lost volume) would. */
    private void deleteBehindTheStoresBack(StorageSettings settings, ImageStore store, StoredImage image) throws Exception {
        if (settings.s3().isPresent()) {
            s3.client().deleteObject(b -> b.bucket(settings.s3().get().bucket()).key("images/" + image.fileName()));
        } else {
            Files.delete(store.localFile(image.sha256(), image.extension()).orElseThrow());
        }
    }

    private static byte[] read(ImageStore store, StoredImage image) throws Exception {
        try (ImageContent content = store.open(image.sha256(), image.extension()).orElseThrow();
             InputStream in = content.stream()) {
            byte[] bytes = in.readAllBytes();
            assertEquals(content.size(), bytes.length, "the size announced is the size read");
            return bytes;
        }
    }

    private static GenerationRecord record(String hash, List<StoredImage> images, Instant created) {
        return new GenerationRecord(hash, images, "leonardo-phoenix", "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3", created, true,
                Optional.of(new ProviderResult.Cost(new BigDecimal("12.50"), ProviderResult.Cost.CREDITS)),
                Optional.of(new ProviderResult.Usage(40, 1767, 1807, 40, 0)));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void put_isContentAddressed_readableBack_andIdempotent(Backend backend) throws Exception {
        // Given a fresh store
        ImageStore store = open(settings(backend));

        // When the same bytes are stored twice (the second time from another array)
        StoredImage first = store.put(BYTES, "png");
        StoredImage second = store.put(BYTES.clone(), "png");

        // Then both name the same image, found with its size and read back byte for byte
        assertEquals(new StoredImage(SHA, "png", BYTES.length), first);
        assertEquals(first, second);
        assertEquals(Optional.of(first), store.find(SHA, "png"));
        assertArrayEquals(BYTES, read(store, first));
        assertTrue(store.hasImages(record("a".repeat(64), List.of(first), Instant.now())));
        assertEquals(backend == Backend.S3, store.inBucket());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void put_concurrentWritersOfTheSameBytes_allSucceed(Backend backend) throws Exception {
        ImageStore store = open(settings(backend));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<StoredImage>> puts = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                puts.add(CompletableFuture.supplyAsync(() -> store.put(BYTES, "jpeg"), pool));
            }
            StoredImage image = puts.get(0).join();
            puts.forEach(put -> assertEquals(image, put.join()));
            assertArrayEquals(BYTES, read(store, image));
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void records_roundTrip_throughAnotherStoreOnTheSameSettings(Backend backend) {
        // Given records written by one store (one process, one replica)
        StorageSettings settings = settings(backend);
        ImageStore writer = open(settings);
        StoredImage image = writer.put(BYTES, "png");
        GenerationRecord withEverything = record("a".repeat(64), List.of(image), Instant.parse("2026-12-05T10:15:30.123456Z"));
        GenerationRecord noCost = new GenerationRecord("b".repeat(64), List.of(image, image), "openai-gpt-image-2",
                "gpt-image-2", Instant.parse("2026-12-05T10:15:31Z"), false, Optional.empty());
        writer.putRecord(withEverything);
        writer.putRecord(noCost);

        // When another store on the same settings (a restart, or a replica sharing only the bucket) reads them
        ImageStore reader = open(settings);

        // Then they are equal, absent values stay absent, and an unknown hash has none
        assertEquals(Optional.of(withEverything), reader.findRecord("a".repeat(64)));
        assertEquals(Optional.of(noCost), reader.findRecord("b".repeat(64)));
        assertEquals(Optional.empty(), reader.findRecord("c".repeat(64)));
        assertEquals(Optional.of(image), reader.find(image.sha256(), "png"));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void putRecord_replacesTheRecordOfItsHash(Backend backend) {
        StorageSettings settings = settings(backend);
        ImageStore store = open(settings);
        StoredImage image = store.put(BYTES, "png");
        String hash = "d".repeat(64);
        store.putRecord(record(hash, List.of(image), Instant.parse("2026-12-05T10:00:00Z")));

        GenerationRecord newer = record(hash, List.of(image, image), Instant.parse("2026-12-05T11:00:00Z"));
        store.putRecord(newer);

        assertEquals(Optional.of(newer), open(settings).findRecord(hash));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void missingImage_isNotFound_andItsRecordIsIgnored_andHasImagesTurnsFalse(Backend backend) throws Exception {
        // Given an image and a record that holds it
        StorageSettings settings = settings(backend);
        ImageStore store = open(settings);
        StoredImage image = store.put(BYTES, "webp");
        GenerationRecord record = record("e".repeat(64), List.of(image), Instant.now());
        store.putRecord(record);
        assertTrue(store.hasImages(record));

        // When the image is deleted behind the store's back
        deleteBehindTheStoresBack(settings, store, image);

        // Then it is not found, cannot be opened, its record is ignored, and once the store has seen it
        // gone (at once on disk; on the first read with a bucket) the record no longer counts as whole
        assertEquals(Optional.empty(), store.open(image.sha256(), "webp"));
        assertEquals(Optional.empty(), store.find(image.sha256(), "webp"));
        assertEquals(Optional.empty(), store.findRecord(record.requestHash()));
        assertFalse(store.hasImages(record));

        // And writing the image again makes the record whole again
        store.put(BYTES, "webp");
        assertTrue(store.hasImages(record));
        assertEquals(Optional.of(record), store.findRecord(record.requestHash()));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void namesThatAreNotAContentAddress_neverReachTheStore(Backend backend) {
        ImageStore store = open(settings(backend));
        store.put(BYTES, "png");
        for (String name : List.of("", "abc", "../" + SHA, SHA.toUpperCase(), SHA + "/", "records/x")) {
            assertEquals(Optional.empty(), store.find(name, "png"), name);
            assertEquals(Optional.empty(), store.open(name, "png"), name);
        }
        assertEquals(Optional.empty(), store.find(SHA, "gif"));
        assertEquals(Optional.empty(), store.find(SHA, "png/../../x"));
        assertEquals(Optional.empty(), store.find(SHA, "jpeg"), "stored as png only");
        assertThrows(IllegalArgumentException.class, () -> store.put(new byte[0], "png"));
        assertThrows(IllegalArgumentException.class, () -> store.put(BYTES, "gif"));
        assertEquals(Optional.empty(), store.findRecord("../records/" + "a".repeat(64)));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void probe_writes_andTheSweepDeletesOnlyExpiredRecords(Backend backend) throws Exception {
        // Given an image, a record and a successful probe
        StorageSettings settings = settings(backend);
        ImageStore store = open(settings);
        StoredImage image = store.put(BYTES, "png");
        GenerationRecord record = record("f".repeat(64), List.of(image), Instant.now());
        store.putRecord(record);
        StorageProbe probe = new StorageProbe(store, java.time.Clock.systemUTC(), Duration.ofSeconds(5),
                Executors.newSingleThreadScheduledExecutor());
        assertTrue(probe.check().writable(), probe.status().toString());
        ImageStore gone = open(settings); // another process that probed the same store, then died
        gone.probe();

        // When the sweep runs a day later with a TTL of one hour
        MutableClock clock = new MutableClock(Instant.now());
        StoreSweeper sweeper = new StoreSweeper(store, Duration.ofHours(1), clock, new SimpleMeterRegistry());
        assertEquals(0, sweeper.sweep().records(), "nothing is old yet");
        clock.advance(Duration.ofDays(1));
        StoreSweeper.Result result = sweeper.sweep();

        // Then the record is gone and the image stays; the dead process's probe key is swept as an
        // abandoned temporary object (a local probe file is deleted by the probe itself), this one's is kept
        assertEquals(1, result.records());
        assertEquals(backend == Backend.S3 ? 1 : 0, result.tempFiles());
        assertTrue(probe.check().writable());
        assertEquals(Optional.empty(), store.findRecord(record.requestHash()));
        assertEquals(Optional.of(image), store.find(image.sha256(), "png"));
    }

    @Test
    void s3_keysAreDocumented_andImagesCarryTheirTypeAndAnImmutableCacheControl() {
        // Given a store in a bucket under a prefix given without its final slash
        String bucket = s3.newBucket();
        String p = "router-" + UUID.randomUUID() + "/";
        ImageStore store = open(new StorageSettings(RouterTestSupport.tempDir("contract"), "")
                .withS3(new StorageSettings.S3(s3.endpoint(), bucket, S3Server.REGION, true, p.substring(0, p.length() - 1), 4)));

        // When an image and a record are written
        StoredImage image = store.put(BYTES, "jpeg");
        store.putRecord(record("0".repeat(64), List.of(image), Instant.now()));

        // Then the keys are <prefix>images/<sha256>.<ext> and <prefix>records/<hash>.json (README, "Storage backends")
        assertEquals(List.of(p + "images/" + SHA + ".jpeg", p + "records/" + "0".repeat(64) + ".json"),
                s3.keys(bucket, p + "images/").isEmpty() ? List.of() : List.of(s3.keys(bucket, p + "images/").get(0),
                        s3.keys(bucket, p + "records/").get(0)));
        HeadObjectResponse head = s3.client().headObject(b -> b.bucket(bucket).key(p + "images/" + SHA + ".jpeg"));
        assertEquals("image/jpeg", head.contentType());
        assertEquals("public, max-age=31536000, immutable", head.cacheControl());
        assertEquals(BYTES.length, head.contentLength());
        assertArrayEquals(BYTES, s3.object(bucket, p + "images/" + SHA + ".jpeg"));
        assertFalse(Files.exists(store.dir().resolve("records")), "nothing of the bucket's goes to the local directory");
    }

    @Test
    void local_layoutIsUnchanged() throws Exception {
        Path dir = RouterTestSupport.tempDir("contract");
        ImageStore store = open(new StorageSettings(dir, ""));
        StoredImage image = store.put(BYTES, "png");
        store.putRecord(record("ab" + "c".repeat(62), List.of(image), Instant.now()));
        assertArrayEquals(BYTES, Files.readAllBytes(dir.resolve(SHA.substring(0, 2)).resolve(SHA + ".png")));
        assertTrue(Files.isRegularFile(dir.resolve("records").resolve("ab").resolve("ab" + "c".repeat(62) + ".json")));
    }
}
