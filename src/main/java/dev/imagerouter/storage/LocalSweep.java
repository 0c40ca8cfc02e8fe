package dev.imagerouter.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/*
 * What is swept, by the file's last-modified time:
 *   <dir>/records/<aa>/<hash>.json and legacy <dir>/records/<hash>.json older than the cache TTL:
 *       no lookup would use them any more (ResultCache ignores records created before now - TTL);
 *   ".<name>.<32 hex>.tmp" anywhere in the layout (root, <aa>/, records/, records/<aa>/) older
 *       than TEMP_MAX_AGE: a writer renames or deletes its temporary file within milliseconds, so
 *       an old one was abandoned by a crash (probe files included).
 * Images are never deleted: their URLs were handed out and are stable.
 *
 * Several processes may share the store: nothing is locked, each candidate is stat'ed and deleted
 * on its own, and a file that vanished meanwhile (another sweeper, a writer's rename) is skipped.
 * The one race left, a record replaced by a fresh one between our stat and our delete, costs one
 * regeneration of that request after a restart, never an image.
 */
/** One pass of the local store's sweep (see {@link StoreSweeper}); stateless. */
final class LocalSweep {

    private static final Logger LOG = LoggerFactory.getLogger(StoreSweeper.class);
    private static final Pattern TEMP = Pattern.compile("\\..+\\.[0-9a-f]{32}\\.tmp");
    private static final Pattern FAN_OUT = Pattern.compile("[0-9a-f]{2}");
    private static final Pattern RECORD = Pattern.compile("[0-9a-f]{64}\\.json");

    private LocalSweep() {
    }

    /** Never throws: a directory that cannot be listed is skipped with a WARN. */
    static StoreSweeper.Result sweep(Path dir, Path recordsDir, Instant recordsBefore, Instant tempBefore) {
        int[] deleted = new int[2]; // records, temporary files
        // <dir>: probe files and the image fan-out directories (temporary files only)
        forEach(dir, name -> true, (path, attributes) -> {
            String name = path.getFileName().toString();
            if (attributes.isDirectory() && FAN_OUT.matcher(name).matches()) {
                // only temporary files are stat'ed: a fan-out directory holds mostly images
                forEach(path, n -> TEMP.matcher(n).matches(), (inner, a) -> sweepTemp(inner, a, tempBefore, deleted));
            } else {
                sweepTemp(path, attributes, tempBefore, deleted);
            }
        });
        // <dir>/records: legacy flat records and the record fan-out directories
        forEach(recordsDir, name -> true, (path, attributes) -> {
            String name = path.getFileName().toString();
            if (attributes.isDirectory() && FAN_OUT.matcher(name).matches()) {
                forEach(path, n -> true, (inner, a) -> sweepRecordOrTemp(inner, a, recordsBefore, tempBefore, deleted));
            } else {
                sweepRecordOrTemp(path, attributes, recordsBefore, tempBefore, deleted);
            }
        });
        return new StoreSweeper.Result(deleted[0], deleted[1]);
    }

    private static void sweepRecordOrTemp(Path path, BasicFileAttributes attributes, Instant recordsBefore, Instant tempBefore,
                                          int[] deleted) {
        if (attributes.isRegularFile() && RECORD.matcher(path.getFileName().toString()).matches()) {
            if (attributes.lastModifiedTime().toInstant().isBefore(recordsBefore) && delete(path)) {
                deleted[0]++;
            }
        } else {
            sweepTemp(path, attributes, tempBefore, deleted);
        }
    }

    private static void sweepTemp(Path path, BasicFileAttributes attributes, Instant tempBefore, int[] deleted) {
        if (attributes.isRegularFile() && TEMP.matcher(path.getFileName().toString()).matches()
                && attributes.lastModifiedTime().toInstant().isBefore(tempBefore) && delete(path)) {
            deleted[1]++;
        }
    }

    private static boolean delete(Path path) {
        try {
            return Files.deleteIfExists(path); // false: another process got there first
        } catch (IOException e) {
            LOG.warn("store sweep could not delete {}: {}", path, e.toString());
            return false;
        }
    }

    private interface Visitor {
        void visit(Path path, BasicFileAttributes attributes);
    }

    /**
     * Visits each entry of {@code directory} whose name passes {@code names}, with its attributes;
     * entries that vanish meanwhile are skipped.
     */
    private static void forEach(Path directory, Predicate<String> names, Visitor visitor) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path path : entries) {
                if (!names.test(path.getFileName().toString())) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(path, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue;
                } catch (IOException e) {
                    LOG.warn("store sweep skips {}: {}", path, e.toString());
                    continue;
                }
                visitor.visit(path, attributes);
            }
        } catch (NoSuchFileException e) {
            // nothing there (yet)
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            LOG.warn("store sweep cannot list {}: {}", directory, e.toString());
        }
    }
}
