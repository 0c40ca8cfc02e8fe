package dev.imagerouter.storage;

import dev.imagerouter.settings.StorageSettings;
import dev.imagerouter.tracing.StorageWriteSpan;
import dev.imagerouter.tracing.Tracing;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.imagerouter.vocabulary.ProviderResult;
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
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

// Over 300 lines because the store's layout, atomic and forced writes, records and their lookup, so that the durability order (file, rename, directory) is reviewed in one place.

/*
 * Layout of the store (all names lowercase):
 *
 *   <dir>/<aa>/<sha256>.<ext>          image bytes; <aa> = first two hex chars of the sha256 (fan-out)
 *   <dir>/records/<aa>/<requestHash>.json   one GenerationRecord per request hash (second-level
 *                                          cache); <aa> = first two hex chars of the hash
 *
 * Images are written to a uniquely named temporary file in the target's own directory, forced to
 * disk, then renamed to the target with ATOMIC_MOVE: a reader sees either nothing or a complete
 * image, and two writers of the same content both succeed (the rename is idempotent). The
 * directory is then forced too, and when the fan-out directory <dir>/<aa>/ had to be created, its
 * parent as well: only then does the image's name survive a power cut, so only then is its URL
 * handed out. Forcing goes through FileSync (the JDK cannot force a directory by itself).
 * A record for a new request hash is written straight to its name (created exclusively, not
 * forced); replacing an existing record goes through a temporary file and a rename like an image,
 * and the last writer wins, which is fine because either record is valid. Records are cache
 * metadata: a record torn by a crash during its write (microseconds) fails to parse, is ignored
 * with a WARN and costs one regeneration, never an image.
 * Records of versions before the fan-out sit directly in <dir>/records/ and are still read.
 * A crash can leave ".<name>.<random>.tmp" files behind; they are never read, and StoreSweeper
 * deletes them once they are old (it also deletes records past the cache TTL; images stay).
 */

/**
 * The content-addressed image store and its per-request-hash records, on the local file system.
 *
 * <p>Thread-safe without locks: all state is on disk; every image and every replaced record is
 * written by an atomic rename, and a new record by an exclusive create (see the layout above).
 * Blocking (file I/O): call it off the event loop.
 */
// The import makes the provider package's Cost serialisable in records without annotating it
// there. It cannot sit on GenerationRecord: an import there hides that record's own @Serdeable.
@SerdeImport(ProviderResult.Cost.class)
@SerdeImport(ProviderResult.Usage.class)
public final class ImageStore {

    /** Extensions the store accepts, which are also the output formats of the API. */
    public static final Map<String, String> CONTENT_TYPES =
            Map.of("png", "image/png", "jpeg", "image/jpeg", "webp", "image/webp");

    private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    private final Path recordsDir;
    private final JsonMapper json;
    private final FileSync sync;
    private final Runnable onWriteFailure;
    private final Tracing tracing;

    /**
     * Opens (creating if needed) the store at {@code settings.dir()}.
     *
     * @param json           the mapper used for record files (the application's {@code JsonMapper} is
     *                       fine: {@link GenerationRecord} fixes its own inclusion rules)
     * @param sync           how files and directories are forced to disk ({@link FileSync#DEFAULT})
     * @param onWriteFailure run (on the failing thread, so it must be quick) each time an image or a
     *                       record cannot be written, e.g. to re-check the store's writability at once
     * @throws IllegalStateException naming {@code router.storage.dir} when the directory cannot be created
     */
    public ImageStore(StorageSettings settings, JsonMapper json, FileSync sync, Runnable onWriteFailure) {
        this(settings, json, sync, onWriteFailure, Tracing.NONE);
    }

    /**
     * As {@link #ImageStore(StorageSettings, JsonMapper, FileSync, Runnable)}, making a span of each
     * image write ({@link Tracing#STORAGE_WRITE_SPAN}: size and extension) under the context current
     * on the writing thread.
     */
    public ImageStore(StorageSettings settings, JsonMapper json, FileSync sync, Runnable onWriteFailure, Tracing tracing) {
        this.tracing = Objects.requireNonNull(tracing, "tracing");
        this.dir = Objects.requireNonNull(settings, "settings").dir().toAbsolutePath().normalize();
        this.recordsDir = dir.resolve("records");
        this.json = Objects.requireNonNull(json, "json");
        this.sync = Objects.requireNonNull(sync, "sync");
        this.onWriteFailure = Objects.requireNonNull(onWriteFailure, "onWriteFailure");
        try {
            Files.createDirectories(recordsDir);
        } catch (IOException e) {
            throw new IllegalStateException("router.storage.dir: cannot create the image store at " + dir
                    + " (expected a writable directory): " + e, e);
        }
    }

    /** A store forcing with {@link FileSync#DEFAULT}, with nothing to tell about write failures. */
    public ImageStore(StorageSettings settings, JsonMapper json) {
        this(settings, json, FileSync.DEFAULT, () -> { });
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
     * When this returns, the file, its name and (for a new fan-out directory) that directory's name
     * are forced to disk, so the image's URL may be handed out.
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
        StorageWriteSpan span = tracing.startStorageWrite(bytes.length,
                extension != null && CONTENT_TYPES.containsKey(extension) ? extension : "unknown"); // a closed set, even for a bad call
        try {
            StoredImage image = new StoredImage(HEX.formatHex(sha256(bytes)), extension, bytes.length);
            Path target = imagePath(image.sha256(), image.extension());
            try {
                if (existingSize(target) == bytes.length) {
                    span.existing();
                    return image;
                }
                writeAtomically(target, bytes, true, false);
                return image;
            } catch (IOException e) {
                onWriteFailure.run();
                throw new UncheckedIOException("cannot store image " + image.fileName() + " in " + dir, e);
            }
        } catch (RuntimeException e) {
            span.failed(e);
            throw e;
        } finally {
            span.end();
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
     * Writes (or replaces) the record for {@code record.requestHash()}.
     *
     * @throws UncheckedIOException when the file cannot be written or the record not serialised
     */
    public void putRecord(GenerationRecord record) {
        Objects.requireNonNull(record, "record");
        try {
            // Not forced to disk: a record is derived cache metadata. Losing the newest one to a power
            // cut costs one regeneration; its images, what was paid for, are forced (see put).
            byte[] bytes = json.writeValueAsBytes(record);
            Path target = recordPath(record.requestHash());
            if (!writeNew(target, bytes)) {
                writeAtomically(target, bytes, false, true);
            }
        } catch (IOException e) {
            onWriteFailure.run();
            throw new UncheckedIOException("cannot store the record of request " + record.requestHash(), e);
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
        Path path = recordPath(requestHash);
        GenerationRecord record;
        try {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(path);
            } catch (NoSuchFileException e) {
                path = recordsDir.resolve(requestHash + ".json"); // written before the fan-out
                bytes = Files.readAllBytes(path);
            }
            record = json.readValue(bytes, GenerationRecord.class);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring unreadable generation record {}: {}", path, e.toString());
            return Optional.empty();
        }
        if (record == null || !requestHash.equals(record.requestHash())) {
            LOG.warn("Ignoring generation record {}: it belongs to request {}", path,
                    record == null ? null : record.requestHash());
            return Optional.empty();
        }
        for (StoredImage image : record.images()) {
            if (find(image.sha256(), image.extension()).isEmpty()) {
                LOG.warn("Ignoring generation record {}: image {} is no longer in the store", path, image.fileName());
                return Optional.empty();
            }
        }
        return Optional.of(record);
    }

    /**
     * Whether every image of {@code record} is a regular file in the store now: one {@code stat}
     * per image (about a microsecond from the page cache), cheap enough for the cache-hit path.
     */
    public boolean hasImages(GenerationRecord record) {
        for (StoredImage image : record.images()) {
            if (!Files.isRegularFile(imagePath(image.sha256(), image.extension()))) {
                return false;
            }
        }
        return true;
    }

    /** The directory of the per-request-hash records ({@code <dir>/records}). */
    public Path recordsDir() {
        return recordsDir;
    }

    /** Where the record of a request hash (64 lowercase hex characters) is written. */
    public Path recordPath(String requestHash) {
        return recordsDir.resolve(requestHash.substring(0, 2)).resolve(requestHash + ".json");
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

    private void writeAtomically(Path target, byte[] bytes, boolean force, boolean unlinkFirst) throws IOException {
        AtomicFiles.write(target, bytes, sync, force, unlinkFirst);
    }

    /**
     * Writes {@code bytes} to {@code target} if no such file exists (exclusive create, no temporary
     * file, no rename, not forced): the cheap path for a record of a new request hash.
     *
     * @return false, having written nothing, when {@code target} already exists
     */
    private static boolean writeNew(Path target, byte[] bytes) throws IOException {
        FileChannel channel;
        try {
            channel = createFile(target);
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        boolean written = false;
        try (channel) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            written = true;
        } finally {
            if (!written) {
                Files.deleteIfExists(target); // a failed write leaves no partial record behind
            }
        }
        return true;
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
     * What one request hash produced, kept so that a restart keeps earlier results. Stored as
     * {@code records/<requestHash>.json}; empty optionals are omitted from the file.
     *
     * @param requestHash the request hash (see {@code RequestHasher}), 64 lowercase hex characters
     * @param images      the images in response order, at least one
     * @param provider    the provider instance name that made them, e.g. {@code leonardo-phoenix}
     * @param model       the model that made them
     * @param created     when the generation finished
     * @param normalised  whether any image was cropped, resized or re-encoded to the requested size/format
     * @param cost        what the generation cost, if known
     * @param usage       the answering provider's token usage, if it reported one (absent in records
     *                    written before it existed)
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_ABSENT)
    public record GenerationRecord(String requestHash, List<StoredImage> images, String provider, String model,
                                   Instant created, boolean normalised, Optional<ProviderResult.Cost> cost,
                                   Optional<ProviderResult.Usage> usage) {

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
            usage = usage == null ? Optional.empty() : usage;
        }

        /** A record without token usage. */
        public GenerationRecord(String requestHash, List<StoredImage> images, String provider, String model,
                                Instant created, boolean normalised, Optional<ProviderResult.Cost> cost) {
            this(requestHash, images, provider, model, created, normalised, cost, Optional.empty());
        }
    }
}
