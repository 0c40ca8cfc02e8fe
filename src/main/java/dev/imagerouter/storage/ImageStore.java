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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

// Over 300 lines because the records it keeps (StoredImage, GenerationRecord) and their validation sit beside the
// store's addressing, so the names a caller may pass and the files they reach are reviewed in one place.

/*
 * The store's two halves: this class names the bytes (content addresses, the record format, the
 * validation of every caller-supplied name) and traces the writes; a StoreBackend keeps them. Which
 * backend is configuration (router.storage.s3.bucket set or not) and a restart's business:
 *
 *   LocalBackend  <router.storage.dir>/<aa>/<sha256>.<ext> and <dir>/records/<aa>/<hash>.json,
 *                 forced to disk and renamed into place (the default; also a volume shared by replicas)
 *   S3Backend     <prefix>images/<sha256>.<ext> and <prefix>records/<hash>.json in a bucket,
 *                 written by PUTs that have returned (replicas sharing only the bucket share the images
 *                 and the result index)
 *
 * The cache-hit path's check (hasImages) must stay far cheaper than the hit itself: on disk it is one
 * stat per image (about a microsecond); in a bucket it is no I/O at all. Images are immutable and the
 * router never deletes one, and a cache entry exists only after its images were written (their PUTs
 * returned) or, for a record read back, found (a HEAD each), so a bucket's images are trusted once
 * written or seen; a read that finds one gone marks it, and from then on hasImages is false for the
 * records that hold it (S3Backend's header). A HEAD per hit would cost 1-30 ms per image.
 *
 * Failures: a store that cannot be written throws UncheckedIOException (the API answers 503
 * storage_unavailable) and asks the writability probe to check again at once; a bucket that cannot be
 * reached when reading throws StorageUnavailableException (503 too), so a lookup never goes on to pay
 * a provider for images it could not store.
 */
/**
 * The content-addressed image store and its per-request-hash records, in a local directory or an
 * S3-compatible bucket ({@link StorageSettings#s3()}).
 *
 * <p>Thread-safe without locks: every image and record write is atomic where it lands (a rename on
 * disk, a PUT in a bucket). Blocking (disk or network I/O): call it off the event loop.
 */
// The import makes the provider package's Cost serialisable in records without annotating it
// there. It cannot sit on GenerationRecord: an import there hides that record's own @Serdeable.
@SerdeImport(ProviderResult.Cost.class)
@SerdeImport(ProviderResult.Usage.class)
public final class ImageStore implements AutoCloseable {

    /** Extensions the store accepts, which are also the output formats of the API. */
    public static final Map<String, String> CONTENT_TYPES =
            Map.of("png", "image/png", "jpeg", "image/jpeg", "webp", "image/webp");

    private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    private final StoreBackend backend;
    private final Optional<LocalBackend> local;
    private final Duration retryAfter;
    private final JsonMapper json;
    private final Runnable onWriteFailure;
    private final Tracing tracing;

    /**
     * Opens (creating if needed) the store at {@code settings.dir()}, or in the bucket of
     * {@code settings.s3()} when one is set.
     *
     * @param json           the mapper used for record files (the application's {@code JsonMapper} is
     *                       fine: {@link GenerationRecord} fixes its own inclusion rules)
     * @param sync           how files and directories are forced to disk ({@link FileSync#DEFAULT}; the
     *                       local directory only)
     * @param onWriteFailure run (on the failing thread, so it must be quick) each time an image or a
     *                       record cannot be written, or the bucket cannot be reached, e.g. to re-check
     *                       the store's writability at once
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
        this.retryAfter = settings.probeInterval();
        this.json = Objects.requireNonNull(json, "json");
        this.onWriteFailure = Objects.requireNonNull(onWriteFailure, "onWriteFailure");
        Objects.requireNonNull(sync, "sync");
        if (settings.s3().isPresent()) {
            this.local = Optional.empty();
            this.backend = new S3Backend(settings.s3().get());
        } else {
            LocalBackend disk = new LocalBackend(dir, sync);
            this.local = Optional.of(disk);
            this.backend = disk;
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

    /**
     * {@code router.storage.dir}, absolute and normalised: the images' and records' root with the local
     * backend; with a bucket it holds no image (jobs and spend live under it whatever the backend).
     */
    public Path dir() {
        return dir;
    }

    /** Where images and records go, for log lines: the directory, or {@code s3://bucket/prefix at endpoint}. */
    public String describe() {
        return backend.describe();
    }

    /** Whether the images and records are in an S3-compatible bucket (network calls) rather than on the local disk. */
    public boolean inBucket() {
        return local.isEmpty();
    }

    StoreBackend backend() {
        return backend;
    }

    /**
     * Stores {@code bytes} under their SHA-256, once: storing the same bytes again is a cheap no-op.
     * When this returns, the image is durable (the file, its name and a new fan-out directory's name
     * forced to disk; or the bucket's PUT returned), so its URL may be handed out.
     *
     * @param bytes     the encoded image, not empty
     * @param extension {@code png|jpeg|webp}
     * @return where it is, with its size in bytes
     * @throws IllegalArgumentException on empty bytes or an unknown extension
     * @throws UncheckedIOException     when the image cannot be written
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
            try {
                if (backend.putImage(image.sha256(), image.extension(), image.contentType(), bytes)) {
                    span.existing();
                }
                return image;
            } catch (IOException e) {
                onWriteFailure.run();
                throw new UncheckedIOException("cannot store image " + image.fileName() + " in " + backend.describe(), e);
            }
        } catch (RuntimeException e) {
            span.failed(e);
            throw e;
        } finally {
            span.end();
        }
    }

    /**
     * The image, if it is in the store: its name and size (one {@code stat}, or one HEAD request).
     * Anything but 64 lowercase hex characters and a known extension gives empty, so a caller-supplied
     * name can never reach outside the store.
     *
     * @throws StorageUnavailableException when the store cannot be reached (503 {@code storage_unavailable})
     */
    public Optional<StoredImage> find(String sha256, String extension) {
        if (!validName(sha256, extension)) {
            return Optional.empty();
        }
        try {
            OptionalLong size = backend.imageSize(sha256, extension);
            return size.isPresent() ? Optional.of(new StoredImage(sha256, extension, size.getAsLong())) : Optional.empty();
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /**
     * The image's bytes as a stream read from the disk or the bucket as the caller reads (the caller
     * closes it), if it is in the store. Names are checked as in {@link #find}.
     *
     * @throws StorageUnavailableException when the store cannot be reached (503 {@code storage_unavailable})
     */
    public Optional<ImageContent> open(String sha256, String extension) {
        if (!validName(sha256, extension)) {
            return Optional.empty();
        }
        try {
            return backend.openImage(sha256, extension);
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /**
     * With the local backend, the file that holds the image if it is there ({@code <dir>/<aa>/<sha256>.<ext>});
     * always empty with a bucket. Names are checked as in {@link #find}.
     */
    public Optional<Path> localFile(String sha256, String extension) {
        if (local.isEmpty() || !validName(sha256, extension)) {
            return Optional.empty();
        }
        Path path = local.get().imagePath(sha256, extension).normalize();
        return path.startsWith(dir) && Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
    }

    private static boolean validName(String sha256, String extension) {
        return sha256 != null && extension != null && SHA256.matcher(sha256).matches() && CONTENT_TYPES.containsKey(extension);
    }

    private StorageUnavailableException unreachable(IOException e) {
        onWriteFailure.run();
        String reason = e instanceof S3Backend.S3StoreException s3 ? s3.reason() : e.getClass().getSimpleName();
        StorageUnavailableException unavailable = new StorageUnavailableException("The image store cannot be read ("
                + reason + ").", retryAfter);
        unavailable.addSuppressed(e);
        return unavailable;
    }

    /**
     * Writes (or replaces) the record for {@code record.requestHash()}.
     *
     * @throws UncheckedIOException when the record cannot be written or serialised
     */
    public void putRecord(GenerationRecord record) {
        Objects.requireNonNull(record, "record");
        try {
            backend.putRecord(record.requestHash(), json.writeValueAsBytes(record));
        } catch (IOException e) {
            onWriteFailure.run();
            throw new UncheckedIOException("cannot store the record of request " + record.requestHash(), e);
        }
    }

    /**
     * The record for a request hash, if there is a usable one. An invalid hash, an unreadable or
     * unparsable record, a record for another hash, or a record whose images are no longer in the
     * store each give empty and a WARN log (a missing record gives empty silently).
     *
     * @throws StorageUnavailableException only when a bucket cannot be reached: then nothing should be
     *                                     generated (paid) whose images could not be stored either
     */
    public Optional<GenerationRecord> findRecord(String requestHash) {
        if (requestHash == null || !SHA256.matcher(requestHash).matches()) {
            LOG.warn("Ignoring a record lookup with an invalid request hash (expected 64 lowercase hex characters)");
            return Optional.empty();
        }
        String where = backend.recordLocation(requestHash);
        GenerationRecord record;
        try {
            Optional<byte[]> bytes = backend.readRecord(requestHash);
            if (bytes.isEmpty()) {
                return Optional.empty();
            }
            record = json.readValue(bytes.get(), GenerationRecord.class);
        } catch (S3Backend.S3StoreException e) {
            throw unreachable(e);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring unreadable generation record {}: {}", where, e.toString());
            return Optional.empty();
        }
        if (record == null || !requestHash.equals(record.requestHash())) {
            LOG.warn("Ignoring generation record {}: it belongs to request {}", where,
                    record == null ? null : record.requestHash());
            return Optional.empty();
        }
        for (StoredImage image : record.images()) {
            if (find(image.sha256(), image.extension()).isEmpty()) {
                LOG.warn("Ignoring generation record {}: image {} is no longer in the store", where, image.fileName());
                return Optional.empty();
            }
        }
        return Optional.of(record);
    }

    /**
     * Whether every image of {@code record} may be served now, cheaply enough for the cache-hit path:
     * on disk one {@code stat} per image (about a microsecond from the page cache); in a bucket no
     * I/O (images written or seen are trusted until a read finds one gone: see the class header).
     */
    public boolean hasImages(GenerationRecord record) {
        for (StoredImage image : record.images()) {
            if (!backend.holdsImage(image.sha256(), image.extension())) {
                return false;
            }
        }
        return true;
    }

    /** Writes something tiny as an image write would; for {@link StorageProbe}. */
    void probe() throws IOException {
        backend.probe();
    }

    /** The local backend's directory of per-request-hash records ({@code <dir>/records}). */
    public Path recordsDir() {
        return dir.resolve("records");
    }

    /** Where the local backend writes the record of a request hash (64 lowercase hex characters). */
    public Path recordPath(String requestHash) {
        return recordsDir().resolve(requestHash.substring(0, 2)).resolve(requestHash + ".json");
    }

    /** Releases the bucket's connections; the store is not used afterwards. */
    @Override
    public void close() {
        backend.close();
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
     * What one request hash produced, kept so that a restart (or another replica on the same bucket)
     * keeps earlier results. Stored as {@code records/<aa>/<requestHash>.json} on disk and
     * {@code <prefix>records/<requestHash>.json} in a bucket; empty optionals are omitted from the JSON.
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
