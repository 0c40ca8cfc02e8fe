package dev.imagerouter.storage;

import dev.imagerouter.vocabulary.MetricNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/*
 * What is swept, by the file's last-modified time against the injected clock:
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
/**
 * Deletes expired records and abandoned temporary files from the image store, counted in
 * {@code image_router_storage_swept_files_total{kind="record|temp"}}. {@link #sweep()} is
 * synchronized (one sweep at a time in this process) and does file I/O: run it off the event loop.
 */
public final class StoreSweeper implements AutoCloseable {

    /** Age after which a temporary file is taken as abandoned. */
    public static final Duration TEMP_MAX_AGE = Duration.ofHours(1);

    /** What one sweep deleted. */
    public record Result(int records, int tempFiles) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(StoreSweeper.class);
    private static final Pattern TEMP = Pattern.compile("\\..+\\.[0-9a-f]{32}\\.tmp");
    private static final Pattern FAN_OUT = Pattern.compile("[0-9a-f]{2}");
    private static final Pattern RECORD = Pattern.compile("[0-9a-f]{64}\\.json");

    private final Path dir;
    private final Path recordsDir;
    private final Duration recordTtl;
    private final Clock clock;
    private final Counter recordsSwept;
    private final Counter tempSwept;
    private volatile ScheduledFuture<?> schedule;

    /**
     * @param store     the store to sweep
     * @param recordTtl records whose file is older than this are deleted ({@code router.cache.ttl})
     * @param clock     "now"
     * @param registry  where the swept-files counter goes
     */
    public StoreSweeper(ImageStore store, Duration recordTtl, Clock clock, MeterRegistry registry) {
        this.dir = store.dir();
        this.recordsDir = store.recordsDir();
        this.recordTtl = Objects.requireNonNull(recordTtl, "recordTtl");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.recordsSwept = Counter.builder(MetricNames.STORAGE_SWEPT_FILES).tag("kind", "record")
                .description("Files deleted from the image store by the sweep").register(registry);
        this.tempSwept = Counter.builder(MetricNames.STORAGE_SWEPT_FILES).tag("kind", "temp")
                .description("Files deleted from the image store by the sweep").register(registry);
    }

    /**
     * Sweeps at once and then every {@code interval} ({@code router.storage.sweep-interval}) on
     * {@code executor}, which may block on the disk.
     */
    public void start(ScheduledExecutorService executor, Duration interval) {
        long millis = Math.max(1, interval.toMillis());
        schedule = executor.scheduleWithFixedDelay(this::sweepSafely, 0, millis, TimeUnit.MILLISECONDS);
    }

    private void sweepSafely() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warn("store sweep failed: {}", e.toString()); // a thrown task would end the schedule
        }
    }

    /** Stops the schedule. */
    @Override
    public void close() {
        ScheduledFuture<?> s = schedule;
        if (s != null) {
            s.cancel(false);
        }
    }

    /**
     * One pass over the store. Never throws: a directory that cannot be listed is skipped with a WARN.
     *
     * @return what was deleted
     */
    public synchronized Result sweep() {
        Instant now = clock.instant();
        Instant recordsBefore = now.minus(recordTtl);
        Instant tempBefore = now.minus(TEMP_MAX_AGE);
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
        Result result = new Result(deleted[0], deleted[1]);
        recordsSwept.increment(result.records());
        tempSwept.increment(result.tempFiles());
        if (result.records() + result.tempFiles() > 0) {
            LOG.info("store sweep deleted {} expired records and {} abandoned temporary files", result.records(),
                    result.tempFiles());
        }
        return result;
    }

    private void sweepRecordOrTemp(Path path, BasicFileAttributes attributes, Instant recordsBefore, Instant tempBefore,
                                   int[] deleted) {
        if (attributes.isRegularFile() && RECORD.matcher(path.getFileName().toString()).matches()) {
            if (attributes.lastModifiedTime().toInstant().isBefore(recordsBefore) && delete(path)) {
                deleted[0]++;
            }
        } else {
            sweepTemp(path, attributes, tempBefore, deleted);
        }
    }

    private void sweepTemp(Path path, BasicFileAttributes attributes, Instant tempBefore, int[] deleted) {
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
    private static void forEach(Path directory, java.util.function.Predicate<String> names, Visitor visitor) {
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
