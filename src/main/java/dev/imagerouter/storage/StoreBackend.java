package dev.imagerouter.storage;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where the image store keeps its bytes: the images by content address and the per-request-hash
 * records. {@link ImageStore} does the addressing, the record format, spans and validation; a backend
 * only moves bytes. Two exist: {@link LocalBackend} (a directory, the default) and {@link S3Backend}
 * (an S3-compatible bucket). Every name handed to a backend has been validated by the store (64
 * lowercase hex characters, a known extension), so a backend never sees a path-like name.
 *
 * <p>Implementations are thread-safe and blocking (disk or network I/O): call them off the event loop.
 * {@link IOException} means the backend could not be used (disk, network, permissions); a missing
 * object is never an exception.
 */
interface StoreBackend extends AutoCloseable {

    /**
     * Stores an image at its content address; when this returns, the image is durable and its URL
     * may be handed out.
     *
     * @return true when an image of that size was there already and nothing was written
     */
    boolean putImage(String sha256, String extension, String contentType, byte[] bytes) throws IOException;

    /** The size of the stored image in bytes, or empty when it is not stored. */
    OptionalLong imageSize(String sha256, String extension) throws IOException;

    /** The stored image as a stream (the caller closes it), or empty when it is not stored. */
    Optional<ImageContent> openImage(String sha256, String extension) throws IOException;

    /**
     * Whether an image that was stored may be taken as still there without I/O on the cache-hit path:
     * the local backend answers from one {@code stat}, the bucket from memory (see {@link S3Backend}).
     */
    boolean holdsImage(String sha256, String extension);

    /** Writes (or replaces) the record of a request hash; not necessarily forced (records are cache metadata). */
    void putRecord(String requestHash, byte[] json) throws IOException;

    /** The record's bytes, or empty when there is none. */
    Optional<byte[]> readRecord(String requestHash) throws IOException;

    /** Where a record lives, for log lines (a path or a key). */
    String recordLocation(String requestHash);

    /** Writes something tiny as an image write would (forced, or a completed PUT); throws when that is impossible now. */
    void probe() throws IOException;

    /**
     * Deletes records last written before {@code recordsBefore} and abandoned temporary objects last
     * written before {@code tempBefore}; never images. Never throws: what cannot be listed or deleted
     * is skipped with a WARN.
     */
    StoreSweeper.Result sweep(Instant recordsBefore, Instant tempBefore);

    /** Where the bytes go, for log lines and messages: a directory, or {@code s3://bucket/prefix at endpoint}. */
    String describe();

    /** Releases connections; the backend is not used afterwards. */
    @Override
    void close();
}
