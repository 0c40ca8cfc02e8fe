package dev.imagerouter.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * Why a probe: a generation is paid for before its images are stored. If the store cannot be
 * written (disk full, read-only remount, directory gone; a bucket unreachable, gone or refusing the
 * credentials), every cache miss would pay a provider and then fail. The probe writes what an image
 * write needs: on disk a tiny ".probe.<random>.tmp" file in the store's root, forced and deleted; in
 * a bucket one PUT of one byte to this process's <prefix>probe/<random> key. Its last result is
 * kept, so the check on a cache miss is one volatile read. It runs at start, every probe-interval,
 * and at once (coalesced) when an image or record write fails or a bucket cannot be read, so a
 * failing store stops the paying within one probe rather than one interval. Recovery is the next
 * successful probe; nothing has to be restarted. A probe file left by a crash is an ordinary
 * abandoned temporary file, and a probe key an abandoned one once its process is gone: StoreSweeper
 * deletes them when they are old.
 */
/**
 * Whether the image store can be written now, as the last probe found. Thread-safe; {@link #writable()}
 * and {@link #status()} never block, {@link #check()} does file I/O (run it off the event loop).
 */
public final class StorageProbe implements AutoCloseable {

    /**
     * The last probe's result.
     *
     * @param writable  whether a file could be written, forced and deleted in the store
     * @param checkedAt when the probe finished
     * @param problem   why not (exception type and the system's reason, no path; for a bucket S3's status
     *                  and error code or the network failure, never a credential), when not writable
     */
    public record Status(boolean writable, Instant checkedAt, Optional<String> problem) {
        public Status {
            Objects.requireNonNull(checkedAt, "checkedAt");
            Objects.requireNonNull(problem, "problem");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(StorageProbe.class);

    private final ImageStore store;
    private final Clock clock;
    private final Duration interval;
    private final ScheduledExecutorService maintenance;
    private final AtomicBoolean recheckQueued = new AtomicBoolean();
    private volatile Status status;
    private volatile ScheduledFuture<?> schedule;

    /**
     * @param store       the store to probe (its directory with its own {@link FileSync}, or its bucket)
     * @param clock       for {@link Status#checkedAt()}
     * @param interval    time between scheduled probes ({@code router.storage.probe-interval})
     * @param maintenance where probes run; may block on the disk or the network (not the router scheduler)
     */
    public StorageProbe(ImageStore store, Clock clock, Duration interval, ScheduledExecutorService maintenance) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.maintenance = Objects.requireNonNull(maintenance, "maintenance");
        this.status = new Status(true, clock.instant(), Optional.empty()); // until the first probe says otherwise
    }

    /** Probes once on the calling thread (so the status is real from the start), then every interval. */
    public void start() {
        check();
        long millis = Math.max(1, interval.toMillis());
        schedule = maintenance.scheduleWithFixedDelay(this::check, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Whether the last probe could write the store: one volatile read. */
    public boolean writable() {
        return status.writable();
    }

    /** The last probe's result. */
    public Status status() {
        return status;
    }

    /** The probe interval, also the {@code Retry-After} of refused requests. */
    public Duration interval() {
        return interval;
    }

    /**
     * @throws StorageUnavailableException when the last probe could not write the store
     */
    public void requireWritable() {
        Status s = status;
        if (!s.writable()) {
            throw new StorageUnavailableException("The image store cannot be written ("
                    + s.problem().orElse("probe failed") + "); no provider was called.", interval);
        }
    }

    /** Asks for a probe soon on the maintenance thread (after a failed write); repeated calls coalesce. */
    public void recheckSoon() {
        if (recheckQueued.compareAndSet(false, true)) {
            try {
                maintenance.execute(() -> {
                    recheckQueued.set(false);
                    check();
                });
            } catch (RejectedExecutionException e) {
                recheckQueued.set(false); // shutting down
            }
        }
    }

    /**
     * Writes what an image write needs (see the header) and keeps the result. Never throws.
     *
     * @return the new status
     */
    public synchronized Status check() {
        Status next;
        try {
            store.probe();
            next = new Status(true, clock.instant(), Optional.empty());
        } catch (IOException | RuntimeException e) {
            next = new Status(false, clock.instant(), Optional.of(describe(e)));
            if (status.writable()) {
                LOG.error("image store {} cannot be written: {}; cache misses are refused with 503 storage_unavailable"
                        + " (no provider is called) until a probe succeeds", store.describe(), next.problem().get());
            }
        }
        if (next.writable() && !status.writable()) {
            LOG.warn("image store {} is writable again; generating resumes", store.describe());
        }
        status = next;
        return next;
    }

    /** The exception's type and the system's reason, without the path or key (it is shown on /health). */
    private static String describe(Exception e) {
        String reason = e instanceof FileSystemException f ? f.getReason()
                : e instanceof S3Backend.S3StoreException s3 ? s3.reason() : null;
        return e.getClass().getSimpleName() + (reason == null || reason.isBlank() ? "" : ": " + reason);
    }

    /** Stops the schedule. */
    @Override
    public void close() {
        ScheduledFuture<?> s = schedule;
        if (s != null) {
            s.cancel(false);
        }
    }
}
