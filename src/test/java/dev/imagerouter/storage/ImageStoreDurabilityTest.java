package dev.imagerouter.storage;

import dev.imagerouter.settings.StorageSettings;

import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An image is durable before {@link ImageStore#put} returns: its temporary file is forced, renamed
 * into place, then its directory is forced, and a fan-out directory created for it has its parent
 * forced too. Recorded through the {@link FileSync} seam, in order.
 */
class ImageStoreDurabilityTest {

    @TempDir
    Path dir;

    private final RecordingFileSync sync = new RecordingFileSync(Duration.ZERO);

    private ImageStore store() {
        return new ImageStore(new StorageSettings(dir, ""), ObjectMapper.getDefault(), sync, () -> { });
    }

    @Test
    void put_forcesTempFile_thenRenames_thenForcesItsDirectory_andTheParentOfANewFanOutDirectory() {
        ImageStore store = store();

        ImageStore.StoredImage image = store.put("first".getBytes(StandardCharsets.UTF_8), "png");

        Path fanOut = dir.resolve(image.sha256().substring(0, 2));
        List<RecordingFileSync.Call> calls = sync.calls;
        assertEquals(3, calls.size(), calls.toString());
        // 1. the temporary file, forced while the image's name does not exist yet (before the rename)
        RecordingFileSync.Call file = calls.get(0);
        assertEquals("file", file.kind());
        assertEquals(fanOut, file.path().getParent());
        assertTrue(file.path().getFileName().toString().matches("\\." + image.fileName() + "\\.[0-9a-f]{32}\\.tmp"),
                file.path().toString());
        assertFalse(file.directoryHeld().contains(image.fileName()), file.toString());
        // 2. its directory, forced after the rename: the image is there, the temporary file gone
        RecordingFileSync.Call directory = calls.get(1);
        assertEquals(new RecordingFileSync.Call("directory", fanOut, List.of(image.fileName())), directory);
        // 3. the fan-out directory was new: the store root that holds its name is forced as well
        RecordingFileSync.Call parent = calls.get(2);
        assertEquals("directory", parent.kind());
        assertEquals(dir.toAbsolutePath().normalize(), parent.path());
        assertTrue(parent.directoryHeld().contains(fanOut.getFileName().toString()), parent.toString());
    }

    @Test
    void put_intoAnExistingFanOutDirectory_forcesFileAndDirectoryOnly_andTheSameBytesAgainForceNothing() {
        ImageStore store = store();
        ImageStore.StoredImage first = store.put("first".getBytes(StandardCharsets.UTF_8), "png");
        Path fanOut = dir.resolve(first.sha256().substring(0, 2));
        sync.calls.clear();

        // the same bytes as another extension land in the same (existing) fan-out directory
        ImageStore.StoredImage second = store.put("first".getBytes(StandardCharsets.UTF_8), "jpeg");

        assertEquals(List.of("file", "directory"), sync.calls.stream().map(RecordingFileSync.Call::kind).toList());
        assertEquals(fanOut, sync.calls.get(1).path());
        assertTrue(sync.calls.get(1).directoryHeld().contains(second.fileName()));

        sync.calls.clear();
        store.put("first".getBytes(StandardCharsets.UTF_8), "png");
        assertEquals(List.of(), sync.calls, "an image already stored is not written or forced again");
    }

    @Test
    void putRecord_isNotForced_recordsAreCacheMetadata() {
        ImageStore store = store();
        ImageStore.StoredImage image = store.put("first".getBytes(StandardCharsets.UTF_8), "png");
        sync.calls.clear();

        store.putRecord(new ImageStore.GenerationRecord("b".repeat(64), List.of(image), "p", "m",
                java.time.Instant.now(), false, java.util.Optional.empty()));

        assertEquals(List.of(), sync.calls);
    }

    @Test
    void aFailingForce_failsThePut_leavesNoImage_andTellsTheWriteFailureHook() {
        int[] failures = {0};
        FileSync broken = new FileSync() {
            @Override
            public void force(java.nio.channels.FileChannel channel, Path file) throws java.io.IOException {
                throw new java.io.IOException("EIO");
            }

            @Override
            public void forceDirectory(Path directory) {
            }
        };
        ImageStore store = new ImageStore(new StorageSettings(dir, ""), ObjectMapper.getDefault(), broken, () -> failures[0]++);

        org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class,
                () -> store.put("first".getBytes(StandardCharsets.UTF_8), "png"));

        assertEquals(1, failures[0]);
        assertTrue(store.find(ImageStoreDurabilityTest.sha256("first"), "png").isEmpty());
    }

    static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
