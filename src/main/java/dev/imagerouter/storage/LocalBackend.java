package dev.imagerouter.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

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
 * A crash can leave ".<name>.<random>.tmp" files behind; they are never read, and the sweep
 * (LocalSweep) deletes them once they are old (it also deletes records past the cache TTL; images stay).
 * The writability probe writes, forces and deletes ".probe.<random>.tmp" in <dir>.
 */
/**
 * The store in a local directory ({@code router.storage.dir}), also a volume several routers share:
 * nothing is locked, writes are atomic renames. Thread-safe; blocking file I/O.
 */
final class LocalBackend implements StoreBackend {

    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    private final Path recordsDir;
    private final FileSync sync;

    /**
     * @throws IllegalStateException naming {@code router.storage.dir} when the directory cannot be created
     */
    LocalBackend(Path dir, FileSync sync) {
        this.dir = dir;
        this.recordsDir = dir.resolve("records");
        this.sync = sync;
        try {
            Files.createDirectories(recordsDir);
        } catch (IOException e) {
            throw new IllegalStateException("router.storage.dir: cannot create the image store at " + dir
                    + " (expected a writable directory): " + e, e);
        }
    }

    Path dir() {
        return dir;
    }

    Path recordsDir() {
        return recordsDir;
    }

    Path imagePath(String sha256, String extension) {
        return dir.resolve(sha256.substring(0, 2)).resolve(sha256 + "." + extension);
    }

    Path recordPath(String requestHash) {
        return recordsDir.resolve(requestHash.substring(0, 2)).resolve(requestHash + ".json");
    }

    @Override
    public boolean putImage(String sha256, String extension, String contentType, byte[] bytes) throws IOException {
        Path target = imagePath(sha256, extension);
        if (existingSize(target) == bytes.length) {
            return true;
        }
        AtomicFiles.write(target, bytes, sync, true, false);
        return false;
    }

    @Override
    public OptionalLong imageSize(String sha256, String extension) throws IOException {
        long size = existingSize(imagePath(sha256, extension));
        return size < 0 ? OptionalLong.empty() : OptionalLong.of(size);
    }

    @Override
    public Optional<ImageContent> openImage(String sha256, String extension) throws IOException {
        Path path = imagePath(sha256, extension);
        long size = existingSize(path);
        if (size < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ImageContent(size, Files.newInputStream(path)));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // deleted between the stat and the open
        }
    }

    /** One {@code stat} (about a microsecond from the page cache), cheap enough for the cache-hit path. */
    @Override
    public boolean holdsImage(String sha256, String extension) {
        return Files.isRegularFile(imagePath(sha256, extension));
    }

    @Override
    public void putRecord(String requestHash, byte[] json) throws IOException {
        // Not forced to disk: a record is derived cache metadata. Losing the newest one to a power
        // cut costs one regeneration; its images, what was paid for, are forced (see putImage).
        Path target = recordPath(requestHash);
        if (!writeNew(target, json)) {
            AtomicFiles.write(target, json, sync, false, true);
        }
    }

    @Override
    public Optional<byte[]> readRecord(String requestHash) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(recordPath(requestHash)));
        } catch (NoSuchFileException e) {
            try {
                return Optional.of(Files.readAllBytes(recordsDir.resolve(requestHash + ".json"))); // written before the fan-out
            } catch (NoSuchFileException none) {
                return Optional.empty();
            }
        }
    }

    @Override
    public String recordLocation(String requestHash) {
        return recordPath(requestHash).toString();
    }

    /** Writes one byte to a new {@code .probe.<random>.tmp} in the store's root, forces it, closes and deletes it. */
    @Override
    public void probe() throws IOException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Path file = dir.resolve(".probe." + HEX.toHexDigits(random.nextLong()) + HEX.toHexDigits(random.nextLong()) + ".tmp");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[]{'p'}));
            sync.force(channel, file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public StoreSweeper.Result sweep(Instant recordsBefore, Instant tempBefore) {
        return LocalSweep.sweep(dir, recordsDir, recordsBefore, tempBefore);
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    @Override
    public void close() {
        // nothing held open
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
}
