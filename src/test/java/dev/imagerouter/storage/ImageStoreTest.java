package dev.imagerouter.storage;

import dev.imagerouter.settings.StorageSettings;

import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.storage.ImageStore.GenerationRecord;
import dev.imagerouter.storage.ImageStore.StoredImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageStoreTest {

    private static final byte[] BYTES = "not really a png, the store does not care".getBytes(StandardCharsets.UTF_8);
    // sha256 of BYTES, computed with `printf %s '...' | sha256sum`
    private static final String SHA = "125435bd839bd05ad42ddb941cd01fd3f49956ce92c97ec4e39099a3ef4985e1";

    @TempDir
    Path dir;

    @Test
    void put_writesContentAddressedFileWithFanOut_andIsIdempotent() throws Exception {
        // Given a fresh store
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));

        // When the same bytes are stored twice
        StoredImage first = store.put(BYTES, "png");
        StoredImage second = store.put(BYTES.clone(), "png");

        // Then one file exists at <dir>/<aa>/<sha256>.png holding the bytes
        assertEquals(first, second);
        assertEquals(SHA, first.sha256());
        assertEquals(BYTES.length, first.size());
        assertTrue(first.sha256().matches("[0-9a-f]{64}"));
        Path expected = dir.resolve(first.sha256().substring(0, 2)).resolve(first.sha256() + ".png");
        assertEquals(Optional.of(expected.toAbsolutePath().normalize()), store.localFile(first.sha256(), "png"));
        assertEquals(Optional.of(first), store.find(first.sha256(), "png"));
        assertArrayEquals(BYTES, Files.readAllBytes(expected));
        assertEquals(first.sha256() + ".png", first.fileName());
        assertEquals("image/png", first.contentType());
        try (Stream<Path> files = Files.list(expected.getParent())) {
            assertEquals(List.of(expected), files.toList(), "no temp file left behind");
        }
    }

    @Test
    void put_concurrentWritersOfSameBytes_allSucceed() throws Exception {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<StoredImage>> puts = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                puts.add(CompletableFuture.supplyAsync(() -> store.put(BYTES, "jpeg"), pool));
            }
            StoredImage image = puts.get(0).join();
            puts.forEach(put -> assertEquals(image, put.join()));
            assertArrayEquals(BYTES, Files.readAllBytes(store.localFile(image.sha256(), "jpeg").orElseThrow()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void put_rejectsEmptyBytesAndUnknownExtensions() {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        assertThrows(IllegalArgumentException.class, () -> store.put(new byte[0], "png"));
        assertThrows(IllegalArgumentException.class, () -> store.put(BYTES, "gif"));
        assertThrows(IllegalArgumentException.class, () -> store.put(BYTES, "../png"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "../../../../etc/passwd", "125435BD839BD05AD42DDB941CD01FD3F49956CE92C97EC4E39099A3EF4985E1",
            "125435bd839bd05ad42ddb941cd01fd3f49956ce92c97ec4e39099a3ef4985e/", "records/x"})
    void find_rejectsAnythingButLowercaseSha256(String name) {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        assertEquals(Optional.empty(), store.find(name, "png"));
    }

    @Test
    void find_rejectsUnknownExtensionAndMissingFiles() {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        StoredImage image = store.put(BYTES, "png");
        assertEquals(Optional.empty(), store.find(image.sha256(), "png/../../x"));
        assertEquals(Optional.empty(), store.find(image.sha256(), "gif"));
        assertEquals(Optional.empty(), store.find(image.sha256(), "webp"), "stored as png only");
        assertEquals(Optional.empty(), store.find(SHA.replace('0', 'f'), "png"));
    }

    @Test
    void record_survivesARestart_withAndWithoutCost() {
        // Given a record written by one store instance
        StorageSettings settings = new StorageSettings(dir, "");
        ImageStore before = new ImageStore(settings);
        StoredImage image = before.put(BYTES, "png");
        String hash = "a".repeat(64);
        GenerationRecord record = new GenerationRecord(hash, List.of(image), "leonardo-phoenix",
                "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3", Instant.parse("2025-05-01T10:15:30.123456Z"), true,
                Optional.of(new ProviderResult.Cost(new BigDecimal("12.50"), ProviderResult.Cost.CREDITS)));
        before.putRecord(record);
        GenerationRecord noCost = new GenerationRecord("b".repeat(64), List.of(image, image), "openai-gpt-image",
                "gpt-image-1", Instant.parse("2025-05-01T10:15:31Z"), false, Optional.empty());
        before.putRecord(noCost);

        GenerationRecord withUsage = new GenerationRecord("d".repeat(64), List.of(image), "openai-gpt-image-2",
                "gpt-image-2", Instant.parse("2026-12-05T10:15:31Z"), false,
                Optional.of(new ProviderResult.Cost(new BigDecimal("0.05321"), ProviderResult.Cost.USD)),
                Optional.of(new ProviderResult.Usage(40, 1767, 1807, 40, 0)));
        before.putRecord(withUsage);

        // When a new instance (a restarted process) reads them
        ImageStore after = new ImageStore(settings);

        // Then they are equal (token usage included, so a cached answer repeats it), and an absent cost stays absent
        assertEquals(Optional.of(record), after.findRecord(hash));
        assertEquals(Optional.of(noCost), after.findRecord("b".repeat(64)));
        assertEquals(Optional.of(withUsage), after.findRecord("d".repeat(64)));
        assertEquals(Optional.empty(), after.findRecord("c".repeat(64)));
    }

    @Test
    void putRecord_replacesTheRecord_andLeavesOnlyTheRecordFile() throws Exception {
        // Given a record for a hash
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        StoredImage image = store.put(BYTES, "png");
        String hash = "d".repeat(64);
        store.putRecord(new GenerationRecord(hash, List.of(image), "leonardo-phoenix", "phoenix",
                Instant.parse("2025-05-01T10:00:00Z"), false, Optional.empty()));

        // When a refresh writes a newer record for the same hash (unlink, then rename)
        GenerationRecord newer = new GenerationRecord(hash, List.of(image, image), "openai-gpt-image-2", "gpt-image-1",
                Instant.parse("2025-05-01T11:00:00Z"), true, Optional.empty());
        store.putRecord(newer);

        // Then the newer one is what is read, and the record's directory holds exactly one file
        assertEquals(Optional.of(newer), new ImageStore(new StorageSettings(dir, "")).findRecord(hash));
        Path fanOut = dir.resolve("records").resolve("dd");
        try (Stream<Path> files = Files.list(fanOut)) {
            assertEquals(List.of(fanOut.resolve(hash + ".json")), files.toList(), "no temp file left behind");
        }
        assertEquals(fanOut.resolve(hash + ".json"), store.recordPath(hash));
    }

    @Test
    void putRecord_ofANewHash_isWrittenInPlace_andATornOneIsIgnoredThenReplaced() throws Exception {
        // Given a store and a record for a hash it has never seen
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        StoredImage image = store.put(BYTES, "png");
        String hash = "ab" + "c".repeat(62);
        GenerationRecord record = new GenerationRecord(hash, List.of(image), "leonardo-phoenix", "phoenix",
                Instant.parse("2025-05-01T10:00:00Z"), false, Optional.empty());

        // When it is written, it lands under the hash's two-character fan-out directory, alone
        store.putRecord(record);
        Path fanOut = dir.resolve("records").resolve("ab");
        try (Stream<Path> files = Files.list(fanOut)) {
            assertEquals(List.of(fanOut.resolve(hash + ".json")), files.toList());
        }
        assertEquals(Optional.of(record), store.findRecord(hash));

        // When a crash tore that file mid-write, the record is ignored (a cache miss, not an error) ...
        Files.writeString(fanOut.resolve(hash + ".json"), "{\"requestHash\":\"" + hash + "\",\"ima");
        assertEquals(Optional.empty(), store.findRecord(hash));

        // ... and the next write for the hash replaces it with a whole record
        store.putRecord(record);
        assertEquals(Optional.of(record), store.findRecord(hash));
    }

    @Test
    void findRecord_readsRecordsWrittenBeforeTheFanOut() throws Exception {
        // Given a record in the flat records/ directory that earlier versions wrote
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        StoredImage image = store.put(BYTES, "png");
        String hash = "9".repeat(64);
        GenerationRecord record = new GenerationRecord(hash, List.of(image), "openai-gpt-image-2", "gpt-image-1",
                Instant.parse("2025-05-01T10:00:00Z"), false, Optional.empty());
        store.putRecord(record);
        Files.move(store.recordPath(hash), dir.resolve("records").resolve(hash + ".json"));

        // Then it is still found, by a new store as after an upgrade
        assertEquals(Optional.of(record), new ImageStore(new StorageSettings(dir, "")).findRecord(hash));
    }

    @Test
    void writes_recreateDirectoriesRemovedWhileRunning() throws Exception {
        // Given a store whose fan-out and records directories an operator deleted after it started
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        StoredImage image = store.put(BYTES, "png");
        Path fanOut = dir.resolve(SHA.substring(0, 2));
        Files.delete(fanOut.resolve(SHA + ".png"));
        Files.delete(fanOut);
        Files.delete(dir.resolve("records"));

        // When the store writes again
        store.put(BYTES, "png");
        String hash = "e".repeat(64);
        store.putRecord(new GenerationRecord(hash, List.of(image), "leonardo-phoenix", "phoenix",
                Instant.parse("2025-05-01T10:00:00Z"), false, Optional.empty()));

        // Then both directories are back with their files
        assertArrayEquals(BYTES, Files.readAllBytes(fanOut.resolve(SHA + ".png")));
        assertTrue(store.findRecord(hash).isPresent());
    }

    @Test
    void findRecord_neverThrows_onBadHashOrBadFile() throws Exception {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        String hash = "d".repeat(64);
        Path records = dir.resolve("records");

        assertEquals(Optional.empty(), store.findRecord(null));
        assertEquals(Optional.empty(), store.findRecord("../records/" + hash));

        Files.createDirectories(store.recordPath(hash).getParent());
        Files.writeString(store.recordPath(hash), "{not json");
        assertEquals(Optional.empty(), store.findRecord(hash));
        Files.delete(store.recordPath(hash));

        Files.writeString(records.resolve(hash + ".json"), "{not json");
        assertEquals(Optional.empty(), store.findRecord(hash));

        Files.writeString(records.resolve(hash + ".json"), "{\"requestHash\":\"" + hash + "\",\"images\":[]}");
        assertEquals(Optional.empty(), store.findRecord(hash), "violates the record's invariants");
    }

    @Test
    void findRecord_ignoresRecordsOfOtherHashesAndRecordsWhoseImagesAreGone() throws Exception {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        StoredImage image = store.put(BYTES, "png");
        String hash = "e".repeat(64);
        store.putRecord(new GenerationRecord(hash, List.of(image), "p", "m", Instant.EPOCH, false, Optional.empty()));
        Files.createDirectories(store.recordPath("f".repeat(64)).getParent());
        Files.copy(store.recordPath(hash), store.recordPath("f".repeat(64)));
        assertEquals(Optional.empty(), store.findRecord("f".repeat(64)));

        Files.delete(store.localFile(image.sha256(), "png").orElseThrow());
        assertEquals(Optional.empty(), store.findRecord(hash));
    }

    @Test
    void constructor_failsNamingTheKey_whenDirCannotBeCreated() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ImageStore(new StorageSettings(file.resolve("images"), "")));
        assertTrue(e.getMessage().contains("router.storage.dir"), e.getMessage());
        assertFalse(Files.isDirectory(file.resolve("images")));
    }

    @Test
    void storageSettings_buildsFileUrls() {
        assertEquals("https://img.example.com/v1/images/files/x.png",
                new StorageSettings(dir, "https://img.example.com/").fileUrl("x.png", "http://ignored"));
        assertEquals("http://localhost:8080/v1/images/files/x.png",
                new StorageSettings(dir, "").fileUrl("x.png", "http://localhost:8080/"));
        assertThrows(IllegalArgumentException.class, () -> new StorageSettings(dir, "img.example.com"));
        assertThrows(IllegalArgumentException.class, () -> new StorageSettings(dir, "ftp://img.example.com"));
    }
}
