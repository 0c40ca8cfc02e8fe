package dev.imagerouter.storage;

import dev.imagerouter.vocabulary.MetricNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/*
 * What is swept, by each file's or object's last-modified time against the injected clock: records
 * older than the cache TTL (no lookup would use them: ResultCache ignores records created before
 * now - TTL) and temporary files or objects older than TEMP_MAX_AGE (a writer finishes within
 * milliseconds, so an old one was abandoned by a crash; probe files included). Images are never
 * deleted: their URLs were handed out and are stable. What each backend walks: LocalSweep (the
 * directory layout) and S3Backend (a listing of the records/ and probe/ keys).
 *
 * Several processes may share the store: nothing is locked, each candidate is deleted on its own,
 * and one that vanished meanwhile (another sweeper, a writer's rename) is skipped. The one race
 * left, a record replaced by a fresh one between the listing and the delete, costs one regeneration
 * of that request after a restart, never an image.
 */
/**
 * Deletes expired records and abandoned temporary files from the image store, counted in
 * {@code image_router_storage_swept_files_total{kind="record|temp"}}. {@link #sweep()} is
 * synchronized (one sweep at a time in this process) and does disk or network I/O: run it off the
 * event loop.
 */
public final class StoreSweeper implements AutoCloseable {

    /** Age after which a temporary file is taken as abandoned. */
    public static final Duration TEMP_MAX_AGE = Duration.ofHours(1);

    /** What one sweep deleted. */
    public record Result(int records, int tempFiles) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(StoreSweeper.class);

    private final ImageStore store;
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
        this.store = Objects.requireNonNull(store, "store");
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
     * One pass over the store. Never throws: what cannot be listed is skipped with a WARN.
     *
     * @return what was deleted
     */
    public synchronized Result sweep() {
        Instant now = clock.instant();
        Result result = store.backend().sweep(now.minus(recordTtl), now.minus(TEMP_MAX_AGE));
        recordsSwept.increment(result.records());
        tempSwept.increment(result.tempFiles());
        if (result.records() + result.tempFiles() > 0) {
            LOG.info("store sweep deleted {} expired records and {} abandoned temporary files", result.records(),
                    result.tempFiles());
        }
        return result;
    }
}
