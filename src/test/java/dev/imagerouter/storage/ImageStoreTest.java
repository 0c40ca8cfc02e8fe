package dev.imagerouter.storage;

import dev.imagerouter.provider.ProviderResult;
import dev.imagerouter.storage.ImageStore.GenerationRecord;
import dev.imagerouter.storage.ImageStore.StoredImage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.micronaut.serde.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

    /** Stores opened by a test; each holds its records file open until closed. */
    private final List<ImageStore> opened = new ArrayList<>();

    private ImageStore open() {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        opened.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(ImageStore::close);
    }

    @Test
    void put_writesContentAddressedFileWithFanOut_andIsIdempotent() throws Exception {
        // Given a fresh store
        ImageStore store = open();

        // When the same bytes are stored twice
        StoredImage first = store.put(BYTES, "png");
        StoredImage second = store.put(BYTES.clone(), "png");

        // Then one file exists at <dir>/<aa>/<sha256>.png holding the bytes
        assertEquals(first, second);
        assertEquals(SHA, first.sha256());
        assertEquals(BYTES.length, first.size());
        assertTrue(first.sha256().matches("[0-9a-f]{64}"));
        Path expected = dir.resolve(first.sha256().substring(0, 2)).resolve(first.sha256() + ".png");
        assertEquals(Optional.of(expected.toAbsolutePath().normalize()), store.find(first.sha256(), "png"));
        assertArrayEquals(BYTES, Files.readAllBytes(expected));
        assertEquals(first.sha256() + ".png", first.fileName());
        assertEquals("image/png", first.contentType());
        try (Stream<Path> files = Files.list(expected.getParent())) {
            assertEquals(List.of(expected), files.toList(), "no temp file left behind");
        }
    }

    @Test
    void put_concurrentWritersOfSameBytes_allSucceed() throws Exception {
        ImageStore store = open();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<StoredImage>> puts = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                puts.add(CompletableFuture.supplyAsync(() -> store.put(BYTES, "jpeg"), pool));
            }
            StoredImage image = puts.get(0).join();
            puts.forEach(put -> assertEquals(image, put.join()));
            assertArrayEquals(BYTES, Files.readAllBytes(store.find(image.sha256(), "jpeg").orElseThrow()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void put_rejectsEmptyBytesAndUnknownExtensions() {
        ImageStore store = open();
        assertThrows(IllegalArgumentException.class, () -> store.put(new byte[0], "png"));
        assertThrows(IllegalArgumentException.class, () -> store.put(BYTES, "gif"));
        assertThrows(IllegalArgumentException.class, () -> store.put(BYTES, "../png"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "../../../../etc/passwd", "125435BD839BD05AD42DDB941CD01FD3F49956CE92C97EC4E39099A3EF4985E1",
            "125435bd839bd05ad42ddb941cd01fd3f49956ce92c97ec4e39099a3ef4985e/", "records/x"})
    void find_rejectsAnythingButLowercaseSha256(String name) {
        ImageStore store = open();
        assertEquals(Optional.empty(), store.find(name, "png"));
    }

    @Test
    void find_rejectsUnknownExtensionAndMissingFiles() {
        ImageStore store = open();
        StoredImage image = store.put(BYTES, "png");
        assertEquals(Optional.empty(), store.find(image.sha256(), "png/../../x"));
        assertEquals(Optional.empty(), store.find(image.sha256(), "gif"));
        assertEquals(Optional.empty(), store.find(image.sha256(), "webp"), "stored as png only");
        assertEquals(Optional.empty(), store.find(SHA.replace('0', 'f'), "png"));
    }

    @Test
    void record_survivesARestart_withAndWithoutCost() {
        // Given records written by one store instance, which is then closed (the process stops)
        StorageSettings settings = new StorageSettings(dir, "");
        ImageStore before = open();
        StoredImage image = before.put(BYTES, "png");
        String hash = "a".repeat(64);
        GenerationRecord record = new GenerationRecord(hash, List.of(image), "leonardo-phoenix",
                "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3", Instant.parse("2025-05-01T10:15:30.123456Z"), true,
                Optional.of(new ProviderResult.Cost(new BigDecimal("12.50"), ProviderResult.Cost.CREDITS)));
        before.putRecord(record);
        GenerationRecord noCost = new GenerationRecord("b".repeat(64), List.of(image, image), "openai-gpt-image",
                "gpt-image-1", Instant.parse("2025-05-01T10:15:31Z"), false, Optional.empty());
        before.putRecord(noCost);
        before.close();

        // When a new instance (a restarted process) reads them
        try (ImageStore after = new ImageStore(settings)) {
            // Then they are equal, and an absent cost stays absent
            assertEquals(Optional.of(record), after.findRecord(hash));
            assertEquals(Optional.of(noCost), after.findRecord("b".repeat(64)));
            assertEquals(Optional.empty(), after.findRecord("c".repeat(64)));
            assertEquals(2, after.recordCount());
        }
    }

    @Test
    void records_areOneFile_notAFilePerRecord_andAReplacedRecordIsTheNewerOne() throws Exception {
        // Given a record for a hash
        ImageStore store = open();
        StoredImage image = store.put(BYTES, "png");
        String hash = "d".repeat(64);
        store.putRecord(new GenerationRecord(hash, List.of(image), "leonardo-phoenix", "phoenix",
                Instant.parse("2025-05-01T10:00:00Z"), false, Optional.empty()));

        // When a refresh writes a newer record for the same hash
        GenerationRecord newer = new GenerationRecord(hash, List.of(image, image), "openai-gpt-image-1", "gpt-image-1",
                Instant.parse("2025-05-01T11:00:00Z"), true, Optional.empty());
        store.putRecord(newer);

        // Then the newer one is read, now and after a restart, and the store holds the image's
        // fan-out directory and the one records file, nothing per record
        assertEquals(Optional.of(newer), store.findRecord(hash));
        store.close();
        try (ImageStore after = new ImageStore(new StorageSettings(dir, ""))) {
            assertEquals(Optional.of(newer), after.findRecord(hash));
            assertEquals(1, after.recordCount());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(SHA.substring(0, 2), RecordStore.FILE_NAME),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aSecondStoreOnTheSameDirectory_failsNamingTheKey_untilTheFirstIsClosed() {
        // Given a store open on a directory (one router process)
        ImageStore first = open();
        StoredImage image = first.put(BYTES, "png");
        first.putRecord(new GenerationRecord("e".repeat(64), List.of(image), "p", "m", Instant.EPOCH, false, Optional.empty()));

        // When a second one opens the same directory, it fails with the key to change
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ImageStore(new StorageSettings(dir, "")));
        assertTrue(e.getMessage().contains("router.storage.dir") && e.getMessage().contains("in use by another router process"),
                e.getMessage());

        // And once the first is closed, it opens and finds the first one's record
        first.close();
        first.close(); // idempotent
        try (ImageStore second = new ImageStore(new StorageSettings(dir, ""))) {
            assertTrue(second.findRecord("e".repeat(64)).isPresent());
        }
    }

    @Test
    void putRecord_afterClose_failsWithAClearError_andFindRecordGivesEmpty() {
        ImageStore store = open();
        StoredImage image = store.put(BYTES, "png");
        GenerationRecord record = new GenerationRecord("e".repeat(64), List.of(image), "p", "m", Instant.EPOCH, false,
                Optional.empty());
        store.close();

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.putRecord(record));
        assertTrue(e.getMessage().contains("record of request " + "e".repeat(64)), e.getMessage());
        assertEquals(Optional.empty(), store.findRecord("e".repeat(64)));
    }

    @Test
    void anUnreadableRecordsFile_isMovedAside_andTheStoreStartsEmpty() throws Exception {
        // Given a records file torn or written by something else
        Files.writeString(dir.resolve(RecordStore.FILE_NAME), "H:2,block:not a records file".repeat(200));

        // When a store opens the directory
        try (ImageStore store = new ImageStore(new StorageSettings(dir, ""))) {
            // Then it starts with no records and keeps working
            assertEquals(0, store.recordCount());
            StoredImage image = store.put(BYTES, "png");
            GenerationRecord record = new GenerationRecord("e".repeat(64), List.of(image), "p", "m", Instant.EPOCH, false,
                    Optional.empty());
            store.putRecord(record);
            assertEquals(Optional.of(record), store.findRecord("e".repeat(64)));
        }
        // And the unreadable file is kept beside it for inspection, not deleted
        try (Stream<Path> files = Files.list(dir)) {
            List<String> aside = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(RecordStore.FILE_NAME + ".unreadable-")).toList();
            assertEquals(1, aside.size(), aside.toString());
            assertTrue(Files.readString(dir.resolve(aside.get(0))).startsWith("H:2,block:not a records file"));
        }
    }

    @Test
    void findRecord_readsTheRecordFilesOfEarlierVersions_fannedOutAndFlat() throws Exception {
        // Given record files that earlier versions wrote: one per hash, under records/<aa>/ and,
        // before the fan-out, directly under records/
        StoredImage image;
        try (ImageStore writer = new ImageStore(new StorageSettings(dir, ""))) {
            image = writer.put(BYTES, "png");
        }
        GenerationRecord fannedOut = new GenerationRecord("9".repeat(64), List.of(image), "openai-gpt-image-1", "gpt-image-1",
                Instant.parse("2025-05-01T10:00:00Z"), false, Optional.empty());
        GenerationRecord flat = new GenerationRecord("8".repeat(64), List.of(image), "leonardo-phoenix", "phoenix",
                Instant.parse("2025-05-01T10:00:00Z"), true, Optional.empty());
        writeLegacyRecord(ImageStore.legacyRecordPath(dir, fannedOut.requestHash()), fannedOut);
        writeLegacyRecord(dir.resolve("records").resolve(flat.requestHash() + ".json"), flat);

        // When the upgraded version opens the store
        try (ImageStore store = new ImageStore(new StorageSettings(dir, ""))) {
            // Then both are found; a record in the records file wins over an old file of the same hash
            assertEquals(Optional.of(fannedOut), store.findRecord(fannedOut.requestHash()));
            assertEquals(Optional.of(flat), store.findRecord(flat.requestHash()));
            GenerationRecord newer = new GenerationRecord(flat.requestHash(), List.of(image), "openai-gpt-image-1",
                    "gpt-image-1", Instant.parse("2025-05-02T10:00:00Z"), false, Optional.empty());
            store.putRecord(newer);
            assertEquals(Optional.of(newer), store.findRecord(flat.requestHash()));
            // and nothing new is written as a file
            assertEquals(2, countFiles(dir.resolve("records")));
        }
    }

    @Test
    void findRecord_looksForNoRecordFiles_whenTheStoreHadNoneOfEarlierVersionsAtTheStart() throws Exception {
        // Given a store opened on a directory without records/ (every store since the records file)
        try (ImageStore store = new ImageStore(new StorageSettings(dir, ""))) {
            StoredImage image = store.put(BYTES, "png");
            GenerationRecord record = new GenerationRecord("9".repeat(64), List.of(image), "p", "m", Instant.EPOCH, false,
                    Optional.empty());
            // When a record file appears there afterwards
            writeLegacyRecord(ImageStore.legacyRecordPath(dir, record.requestHash()), record);
            // Then a lookup does not open it: a miss costs no file system calls
            assertEquals(Optional.empty(), store.findRecord(record.requestHash()));
        }
    }

    @Test
    void writes_recreateTheFanOutDirectoryRemovedWhileRunning() throws Exception {
        // Given a store whose fan-out directory an operator deleted after it started
        ImageStore store = open();
        StoredImage image = store.put(BYTES, "png");
        Path fanOut = dir.resolve(SHA.substring(0, 2));
        Files.delete(fanOut.resolve(SHA + ".png"));
        Files.delete(fanOut);

        // When the store writes again
        store.put(BYTES, "png");
        String hash = "e".repeat(64);
        store.putRecord(new GenerationRecord(hash, List.of(image), "leonardo-phoenix", "phoenix",
                Instant.parse("2025-05-01T10:00:00Z"), false, Optional.empty()));

        // Then the directory is back with its file, and the record is found
        assertArrayEquals(BYTES, Files.readAllBytes(fanOut.resolve(SHA + ".png")));
        assertTrue(store.findRecord(hash).isPresent());
        store.close();
    }

    @Test
    void findRecord_neverThrows_onBadHashOrBadFile() throws Exception {
        // Given record files of an earlier version that do not parse or break the record's rules
        String torn = "d".repeat(64);
        String empty = "c".repeat(64);
        Path records = dir.resolve("records");
        Files.createDirectories(ImageStore.legacyRecordPath(dir, torn).getParent());
        Files.writeString(ImageStore.legacyRecordPath(dir, torn), "{\"requestHash\":\"" + torn + "\",\"ima");
        Files.writeString(records.resolve(empty + ".json"), "{\"requestHash\":\"" + empty + "\",\"images\":[]}");
        try (ImageStore store = new ImageStore(new StorageSettings(dir, ""))) {
            assertEquals(Optional.empty(), store.findRecord(null));
            assertEquals(Optional.empty(), store.findRecord("../records/" + torn));
            assertEquals(Optional.empty(), store.findRecord(torn), "torn by a crash mid-write");
            assertEquals(Optional.empty(), store.findRecord(empty), "violates the record's invariants");

            // And the next generation for the torn hash is recorded and found
            StoredImage image = store.put(BYTES, "png");
            GenerationRecord record = new GenerationRecord(torn, List.of(image), "p", "m", Instant.EPOCH, false, Optional.empty());
            store.putRecord(record);
            assertEquals(Optional.of(record), store.findRecord(torn));
        }
    }

    @Test
    void findRecord_ignoresRecordsOfOtherHashesAndRecordsWhoseImagesAreGone() throws Exception {
        StoredImage image;
        String hash = "e".repeat(64);
        String other = "f".repeat(64);
        try (ImageStore store = new ImageStore(new StorageSettings(dir, ""))) {
            image = store.put(BYTES, "png");
            store.putRecord(new GenerationRecord(hash, List.of(image), "p", "m", Instant.EPOCH, false, Optional.empty()));
        }
        // A record filed under another hash than its own
        try (RecordStore records = RecordStore.open(dir, Clock.systemUTC())) {
            records.put(other, records.find(hash));
        }
        try (ImageStore store = new ImageStore(new StorageSettings(dir, ""))) {
            assertEquals(Optional.empty(), store.findRecord(other));
            assertTrue(store.findRecord(hash).isPresent());

            Files.delete(store.find(image.sha256(), "png").orElseThrow());
            assertEquals(Optional.empty(), store.findRecord(hash));
        }
    }

    private static void writeLegacyRecord(Path file, GenerationRecord record) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, ObjectMapper.getDefault().writeValueAsBytes(record));
    }

    private static long countFiles(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile).count();
        }
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
