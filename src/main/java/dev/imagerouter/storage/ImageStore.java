package dev.imagerouter.storage;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.imagerouter.provider.ProviderResult;
import io.micronaut.json.JsonMapper;
import io.micronaut.serde.ObjectMapper;
import io.micronaut.serde.annotation.SerdeImport;
import io.micronaut.serde.annotation.Serdeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/*
 * Layout of the store (all names lowercase):
 *
 *   <dir>/<aa>/<sha256>.<ext>   image bytes; <aa> = first two hex chars of the sha256 (fan-out)
 *   <dir>/records.mv.db         the generation records, one per request hash (second-level cache),
 *                               in an embedded key-value file (RecordStore); open in one process only
 *   <dir>/records/              records of earlier versions, one JSON file per request hash
 *                               (records/<aa>/<hash>.json, and before that records/<hash>.json):
 *                               still read when the key-value file has no record for a hash, never
 *                               written; they matter only within the cache TTL, so the directory may
 *                               be deleted once that has passed since the upgrade
 *
 * Images are written to a uniquely named temporary file in the target's own directory, forced to
 * disk, then renamed to the target with ATOMIC_MOVE: a reader sees either nothing or a complete
 * image, and two writers of the same content both succeed (the rename is idempotent).
 * Records are cache metadata: one lost to a crash (at most the last second's, see RecordStore)
 * costs one regeneration, never an image.
 * A crash can leave ".<name>.<random>.tmp" files behind; they are never read and may be deleted.
 */

/**
 * The content-addressed image store and its per-request-hash records, on the local file system.
 *
 * <p>Thread-safe: images are on disk, each written by an atomic rename (see the layout above); the
 * records are in a {@link RecordStore}. Blocking (file I/O): call it off the event loop.
 * {@link #close} releases the records file, which only one process may have open.
 */
// The import makes the provider package's Cost serialisable in records without annotating it
// there. It cannot sit on GenerationRecord: an import there hides that record's own @Serdeable.
@SerdeImport(ProviderResult.Cost.class)
public final class ImageStore implements AutoCloseable {

    /** Extensions the store accepts, which are also the output formats of the API. */
    public static final Map<String, String> CONTENT_TYPES =
            Map.of("png", "image/png", "jpeg", "image/jpeg", "webp", "image/webp");

    private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    /** Where earlier versions wrote a file per record; read only, and only when it had any at the start. */
    private final Path legacyRecordsDir;
    private final boolean legacyRecords;
    private final RecordStore records;
    private final JsonMapper json;

    /**
     * Opens (creating if needed) the store at {@code settings.dir()}.
     *
     * @param json the mapper used for record files (the application's {@code JsonMapper} is fine:
     *             {@link GenerationRecord} fixes its own inclusion rules)
     * @throws IllegalStateException naming {@code router.storage.dir} when the directory cannot be
     *                               created, or its records file is open in another process
     */
    public ImageStore(StorageSettings settings, JsonMapper json) {
        this.dir = Objects.requireNonNull(settings, "settings").dir().toAbsolutePath().normalize();
        this.legacyRecordsDir = dir.resolve("records");
        this.json = Objects.requireNonNull(json, "json");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("router.storage.dir: cannot create the image store at " + dir
                    + " (expected a writable directory): " + e, e);
        }
        this.legacyRecords = hasEntries(legacyRecordsDir);
        this.records = RecordStore.open(dir, Clock.systemUTC());
    }

    /** A store using Micronaut Serde's default mapper for record files; for tests and tools. */
    public ImageStore(StorageSettings settings) {
        this(settings, ObjectMapper.getDefault());
    }

    /** The store's root, absolute and normalised. */
    public Path dir() {
        return dir;
    }

    /**
     * Stores {@code bytes} under their SHA-256, once: storing the same bytes again is a cheap no-op.
     *
     * @param bytes     the encoded image, not empty
     * @param extension {@code png|jpeg|webp}
     * @return where it is, with its size in bytes
     * @throws IllegalArgumentException on empty bytes or an unknown extension
     * @throws UncheckedIOException     when the file cannot be written
     */
    public StoredImage put(byte[] bytes, String extension) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length == 0) {
            throw new IllegalArgumentException("cannot store an empty image");
        }
        StoredImage image = new StoredImage(HEX.formatHex(sha256(bytes)), extension, bytes.length);
        Path target = imagePath(image.sha256(), image.extension());
        try {
            if (existingSize(target) == bytes.length) {
                return image;
            }
            writeAtomically(target, bytes);
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store image " + image.fileName() + " in " + dir, e);
        }
    }

    /**
     * The file holding an image, if it is in the store. Anything but 64 lowercase hex characters
     * and a known extension gives empty, so a caller-supplied name can never reach outside the store.
     */
    public Optional<Path> find(String sha256, String extension) {
        if (sha256 == null || extension == null || !SHA256.matcher(sha256).matches()
                || !CONTENT_TYPES.containsKey(extension)) {
            return Optional.empty();
        }
        Path path = imagePath(sha256, extension).normalize();
        if (!path.startsWith(dir) || !Files.isRegularFile(path)) {
            return Optional.empty();
        }
        return Optional.of(path);
    }

    /**
     * Sets (or replaces) the record for {@code record.requestHash()}: in memory at once, in the records
     * file within a second (see {@link RecordStore}); not forced, being derived cache metadata.
     *
     * @throws IllegalStateException when the record cannot be serialised, or the records file has
     *                               failed or been closed
     */
    public void putRecord(GenerationRecord record) {
        Objects.requireNonNull(record, "record");
        try {
            records.put(record.requestHash(), json.writeValueAsBytes(record));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot store the record of request " + record.requestHash(), e);
        }
    }

    /**
     * The record for a request hash, if there is a usable one. Never throws: an invalid hash, an
     * unreadable or unparsable file, a record for another hash, or a record whose images are no
     * longer in the store each give empty and a WARN log (a missing record gives empty silently).
     */
    public Optional<GenerationRecord> findRecord(String requestHash) {
        if (requestHash == null || !SHA256.matcher(requestHash).matches()) {
            LOG.warn("Ignoring a record lookup with an invalid request hash (expected 64 lowercase hex characters)");
            return Optional.empty();
        }
        String where = RecordStore.FILE_NAME;
        GenerationRecord record;
        try {
            byte[] bytes = records.find(requestHash);
            if (bytes == null) {
                if (!legacyRecords) {
                    return Optional.empty();
                }
                Path path = legacyRecordPath(requestHash);
                where = path.toString();
                try {
                    bytes = Files.readAllBytes(path);
                } catch (NoSuchFileException e) {
                    path = legacyRecordsDir.resolve(requestHash + ".json"); // written before the fan-out
                    where = path.toString();
                    bytes = Files.readAllBytes(path);
                }
            }
            record = json.readValue(bytes, GenerationRecord.class);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring unreadable generation record of {} in {}: {}", requestHash, where, e.toString());
            return Optional.empty();
        }
        if (record == null || !requestHash.equals(record.requestHash())) {
            LOG.warn("Ignoring generation record of {} in {}: it belongs to request {}", requestHash, where,
                    record == null ? null : record.requestHash());
            return Optional.empty();
        }
        for (StoredImage image : record.images()) {
            if (find(image.sha256(), image.extension()).isEmpty()) {
                LOG.warn("Ignoring generation record of {}: image {} is no longer in the store", requestHash, image.fileName());
                return Optional.empty();
            }
        }
        return Optional.of(record);
    }

    /** Where versions before the records file wrote the record of a request hash (64 lowercase hex characters). */
    static Path legacyRecordPath(Path storeDir, String requestHash) {
        return storeDir.resolve("records").resolve(requestHash.substring(0, 2)).resolve(requestHash + ".json");
    }

    private Path legacyRecordPath(String requestHash) {
        return legacyRecordPath(dir, requestHash);
    }

    /** The number of records in the records file (not counting those of earlier versions' files). */
    public long recordCount() {
        return records.size();
    }

    /** Writes the records held in memory to the records file and releases it; idempotent. */
    @Override
    public void close() {
        records.close();
    }

    private static boolean hasEntries(Path directory) {
        try (var entries = Files.newDirectoryStream(directory)) {
            return entries.iterator().hasNext();
        } catch (IOException e) {
            return false; // absent (the usual case) or unreadable: nothing to read there
        }
    }

    private Path imagePath(String sha256, String extension) {
        return dir.resolve(sha256.substring(0, 2)).resolve(sha256 + "." + extension);
    }

    /** The size of a regular file in bytes, or -1 when there is none: one {@code stat}. */
    private static long existingSize(Path path) throws IOException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return attributes.isRegularFile() ? attributes.size() : -1;
        } catch (NoSuchFileException e) {
            return -1;
        }
    }

    /** Temp file in the target's directory, forced to disk, then renamed to the target. */
    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path parent = target.getParent();
        // Not Files.createTempFile: it creates the file rw------- and the store's files should get
        // the process umask like any other file (a web server may serve the directory).
        // 128 random bits make the name unique among writers; CREATE_NEW makes sure of it.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Path temp = parent.resolve("." + target.getFileName() + "." + HEX.toHexDigits(random.nextLong())
                + HEX.toHexDigits(random.nextLong()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel channel = createFile(temp)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Creates {@code file}, and its directory only when that is missing (one syscall in the usual case). */
    private static FileChannel createFile(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            Files.createDirectories(file.getParent());
            return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * One image in the store.
     *
     * @param sha256    64 lowercase hex characters, the SHA-256 of the bytes
     * @param extension {@code png|jpeg|webp}
     * @param size      the file's size in bytes
     */
    @Serdeable
    public record StoredImage(String sha256, String extension, long size) {

        public StoredImage {
            if (sha256 == null || !SHA256.matcher(sha256).matches()) {
                throw new IllegalArgumentException("sha256 must be 64 lowercase hex characters, but was " + sha256);
            }
            if (extension == null || !CONTENT_TYPES.containsKey(extension)) {
                throw new IllegalArgumentException("extension must be one of png, jpeg, webp, but was " + extension);
            }
            if (size < 0) {
                throw new IllegalArgumentException("size must not be negative, but was " + size);
            }
        }

        /** {@code <sha256>.<ext>}, the last segment of the image's URL. */
        public String fileName() {
            return sha256 + "." + extension;
        }

        /** The MIME type for the extension, e.g. {@code image/png}. */
        public String contentType() {
            return CONTENT_TYPES.get(extension);
        }
    }

    /**
     * What one request hash produced, kept so that a restart keeps earlier results. Stored as JSON
     * in the records file under the request hash; empty optionals are omitted.
     *
     * @param requestHash the request hash (see {@code RequestHasher}), 64 lowercase hex characters
     * @param images      the images in response order, at least one
     * @param provider    the provider instance name that made them, e.g. {@code leonardo-phoenix}
     * @param model       the model that made them
     * @param created     when the generation finished
     * @param normalised  whether any image was cropped, resized or re-encoded to the requested size/format
     * @param cost        what the generation cost, if known
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_ABSENT)
    public record GenerationRecord(String requestHash, List<StoredImage> images, String provider, String model,
                                   Instant created, boolean normalised, Optional<ProviderResult.Cost> cost) {

        public GenerationRecord {
            if (requestHash == null || !SHA256.matcher(requestHash).matches()) {
                throw new IllegalArgumentException("requestHash must be 64 lowercase hex characters, but was " + requestHash);
            }
            images = List.copyOf(Objects.requireNonNull(images, "images"));
            if (images.isEmpty()) {
                throw new IllegalArgumentException("a generation record needs at least one image");
            }
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(created, "created");
            cost = cost == null ? Optional.empty() : cost;
        }
    }
}
