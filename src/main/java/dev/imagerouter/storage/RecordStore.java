package dev.imagerouter.storage;

import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.StringDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The generation records, one value per request hash, in a single embedded key-value file
 * ({@code <store>/records.mv.db}, H2's MVStore: a log-structured B-tree file).
 *
 * <p>Why not a file per record (what versions before this one wrote, {@code records/<aa>/<hash>.json}):
 * creating a small file costs ~80 µs of CPU per generation on ext4, a seventh of the router's own
 * CPU per generation (bench/RESULTS.md, seventh round). A {@link #put} here only changes the map in
 * memory; MVStore's background writer appends the changes to the file about once a second
 * ({@value #COMMIT_DELAY_MS} ms, MVStore's default), so many records cost one write.
 *
 * <p>Durability: records are cache metadata, not what was paid for (the images are forced to disk
 * before the answer, see {@link ImageStore#put}). A crash loses at most the last second of records:
 * those generations are regenerated when asked for again after the restart. {@link #close} writes
 * everything.
 *
 * <p>One process per file: MVStore locks the file while it is open. A second router on the same
 * storage directory fails to start with an error naming {@code router.storage.dir} (as Prometheus
 * does with its data directory); give each router its own. A file that cannot be read (torn, or
 * written by an unknown version) is moved aside to {@code records.mv.db.unreadable-<millis>} with
 * a WARN and a new one is started: that costs regenerations, never an image.
 *
 * <p>Thread-safe: MVStore's maps take concurrent reads and writes. {@link #find} may read the file:
 * call it off the event loop.
 */
final class RecordStore implements AutoCloseable {

    /** The file's name in the store directory. */
    static final String FILE_NAME = "records.mv.db";
    /** How long a put may stay in memory only (MVStore's default auto-commit delay). */
    static final int COMMIT_DELAY_MS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(RecordStore.class);

    private final Path file;
    private final MVStore mv;
    private final MVMap<String, byte[]> records;

    private RecordStore(Path file, MVStore mv) {
        this.file = file;
        this.mv = mv;
        this.records = mv.openMap("generation-records",
                new MVMap.Builder<String, byte[]>().keyType(StringDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
    }

    /**
     * Opens (creating if needed) the records file {@link #FILE_NAME} in {@code dir}.
     *
     * @throws IllegalStateException naming {@code router.storage.dir} when another process has the
     *                               file open, or when it can neither be opened nor moved aside
     */
    static RecordStore open(Path dir, Clock clock) {
        Path file = dir.resolve(FILE_NAME);
        try {
            return new RecordStore(file, openStore(file));
        } catch (MVStoreException e) {
            if (e.getErrorCode() == DataUtils.ERROR_FILE_LOCKED) {
                throw new IllegalStateException("router.storage.dir: " + dir + " is in use by another router process (its"
                        + " generation records file " + FILE_NAME + " is locked); give each router its own storage directory", e);
            }
            Path aside = dir.resolve(FILE_NAME + ".unreadable-" + clock.millis());
            LOG.warn("Generation records file {} cannot be read ({}); moving it to {} and starting an empty one:"
                    + " earlier results will be generated again when asked for", file, e.getMessage(), aside.getFileName());
            try {
                Files.move(file, aside);
                return new RecordStore(file, openStore(file));
            } catch (IOException | MVStoreException again) {
                e.addSuppressed(again);
                throw new IllegalStateException("router.storage.dir: cannot open the generation records file " + file
                        + " (expected a writable directory): " + e.getMessage(), e);
            }
        }
    }

    private static MVStore openStore(Path file) {
        MVStore mv = new MVStore.Builder()
                .fileName(file.toString())
                .backgroundExceptionHandler((thread, error) ->
                        LOG.warn("Writing generation records to {} failed; records since the last good write are"
                                + " lost at the next restart (their images are stored): {}", file, error.toString()))
                .open();
        mv.setAutoCommitDelay(COMMIT_DELAY_MS);
        return mv;
    }

    /**
     * Sets the record of {@code requestHash} (replacing any); in memory at once, in the file within
     * {@link #COMMIT_DELAY_MS} ms.
     *
     * @param requestHash 64 lowercase hex characters
     * @param record      the record's JSON
     * @throws MVStoreException when the store has been closed or a write has failed for good
     */
    void put(String requestHash, byte[] record) {
        records.put(requestHash, record);
    }

    /**
     * The JSON of the record of {@code requestHash}, or null when there is none.
     *
     * @throws MVStoreException when the file cannot be read or the store is closed
     */
    byte[] find(String requestHash) {
        return records.get(requestHash);
    }

    /** Number of records. */
    long size() {
        return records.sizeAsLong();
    }

    /** The records file. */
    Path file() {
        return file;
    }

    /** Writes what is in memory to the file and releases it; idempotent. */
    @Override
    public void close() {
        if (!mv.isClosed()) {
            mv.close();
        }
    }
}
