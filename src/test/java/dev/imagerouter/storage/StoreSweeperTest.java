package dev.imagerouter.storage;

import dev.imagerouter.settings.StorageSettings;

import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store sweep deletes records past the cache TTL and temporary files older than an hour, by
 * file time against the injected clock; fresh records, fresh temporary files and every image stay.
 */
class StoreSweeperTest {

    private static final Duration TTL = Duration.ofHours(24);
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(NOW);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void sweep_deletesOldRecordsAndOldTempFiles_keepsFreshOnesAndEveryImage() throws IOException {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        ImageStore.StoredImage oldImage = store.put("old image".getBytes(StandardCharsets.UTF_8), "png");
        ImageStore.StoredImage freshImage = store.put("fresh image".getBytes(StandardCharsets.UTF_8), "png");
        Path oldRecord = record(store, "a".repeat(64), oldImage);
        Path freshRecord = record(store, "b".repeat(64), freshImage);
        Path legacyOldRecord = Files.writeString(store.recordsDir().resolve("c".repeat(64) + ".json"), "{}");
        Path imageDir = dir.resolve(oldImage.sha256().substring(0, 2));
        Path oldTemp = Files.writeString(imageDir.resolve("." + oldImage.fileName() + "." + "0".repeat(32) + ".tmp"), "x");
        Path freshTemp = Files.writeString(imageDir.resolve("." + oldImage.fileName() + "." + "1".repeat(32) + ".tmp"), "x");
        Path oldProbe = Files.writeString(dir.resolve(".probe." + "2".repeat(32) + ".tmp"), "p");
        Path oldRecordTemp = Files.writeString(oldRecord.getParent().resolve("." + oldRecord.getFileName() + "."
                + "3".repeat(32) + ".tmp"), "{");
        Path oldStranger = Files.writeString(imageDir.resolve("notes.txt"), "kept: not ours");

        age(oldRecord, TTL.plusMinutes(1));
        age(legacyOldRecord, TTL.plusHours(5));
        age(freshRecord, TTL.minusMinutes(1));
        age(oldTemp, Duration.ofMinutes(61));
        age(freshTemp, Duration.ofMinutes(59));
        age(oldProbe, Duration.ofHours(3));
        age(oldRecordTemp, Duration.ofHours(2));
        age(oldStranger, Duration.ofDays(30));
        for (ImageStore.StoredImage image : List.of(oldImage, freshImage)) {
            age(store.localFile(image.sha256(), image.extension()).orElseThrow(), Duration.ofDays(400));
        }

        StoreSweeper.Result result = new StoreSweeper(store, TTL, clock, registry).sweep();

        assertEquals(new StoreSweeper.Result(2, 3), result);
        for (Path gone : List.of(oldRecord, legacyOldRecord, oldTemp, oldProbe, oldRecordTemp)) {
            assertFalse(Files.exists(gone), gone + " should have been swept");
        }
        for (Path kept : List.of(freshRecord, freshTemp, oldStranger)) {
            assertTrue(Files.exists(kept), kept + " should have been kept");
        }
        assertTrue(store.find(oldImage.sha256(), "png").isPresent(), "images are never swept");
        assertTrue(store.find(freshImage.sha256(), "png").isPresent(), "images are never swept");
        assertEquals(Optional.empty(), store.findRecord("a".repeat(64)));
        assertTrue(store.findRecord("b".repeat(64)).isPresent());
        assertEquals(2.0, registry.get(MetricNames.STORAGE_SWEPT_FILES).tag("kind", "record").counter().count());
        assertEquals(3.0, registry.get(MetricNames.STORAGE_SWEPT_FILES).tag("kind", "temp").counter().count());
    }

    @Test
    void sweep_followsTheInjectedClock_aFreshRecordGoesOnceTheClockPassesItsTtl() throws IOException {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        ImageStore.StoredImage image = store.put("image".getBytes(StandardCharsets.UTF_8), "png");
        Path record = record(store, "d".repeat(64), image);
        age(record, Duration.ofHours(1));
        StoreSweeper sweeper = new StoreSweeper(store, TTL, clock, registry);

        assertEquals(new StoreSweeper.Result(0, 0), sweeper.sweep());
        assertTrue(Files.exists(record));

        clock.advance(TTL);
        assertEquals(new StoreSweeper.Result(1, 0), sweeper.sweep());
        assertFalse(Files.exists(record));
        assertTrue(store.find(image.sha256(), "png").isPresent());
    }

    @Test
    void sweep_ofAStoreWithoutRecordsOrWithAVanishedDirectory_deletesNothingAndDoesNotThrow() throws IOException {
        ImageStore store = new ImageStore(new StorageSettings(dir, ""));
        Files.delete(store.recordsDir());

        assertEquals(new StoreSweeper.Result(0, 0), new StoreSweeper(store, TTL, clock, registry).sweep());
    }

    private Path record(ImageStore store, String hash, ImageStore.StoredImage image) {
        store.putRecord(new ImageStore.GenerationRecord(hash, List.of(image), "p", "m", NOW, false, Optional.empty()));
        return store.recordPath(hash);
    }

    /** Sets the file's modification time to {@code age} before the test clock's now. */
    private void age(Path file, Duration age) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(clock.instant().minus(age)));
    }
}
