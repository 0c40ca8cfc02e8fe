package dev.imagerouter.jobs;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Where job and batch records are kept, durably: the port of the job machinery. Two implementations:
 * {@link FileJobStore} (a file per job under the storage directory; the single-node default, and each
 * replica's fallback while Redis is down) and {@link RedisJobStore} (with {@code REDIS_URI}: shared by
 * every replica). {@link JobService} is their only writer; thread-safe.
 *
 * <p>Durability contract: a future returned by {@link #create} or {@link #save} completes only once the
 * version it carries (or a newer one of that job) is kept where a restart, or another replica, finds it:
 * the 202 of a new job waits for {@link #create}, a provider call for the save of its "calling" version.
 */
public interface JobStore extends AutoCloseable {

    /** A job's or batch's id: a prefix and 24 hex digits (96 random bits). */
    Pattern ID = Pattern.compile("(job|batch)_[0-9a-f]{24}");

    /** What became of one {@link #save}. */
    sealed interface Saved {
        /** The version is kept. */
        Saved KEPT = new Kept();

        /** The version is kept. */
        record Kept() implements Saved {
        }

        /**
         * Nothing was written: another replica owns the job now (this replica's lease had expired and the
         * job was taken over). The job must stop here: the new owner runs it.
         */
        record Lost(String owner) implements Saved {
        }

        /**
         * Nothing was written: the job was cancelled on another replica while it was queued;
         * {@code stored} is the cancelled record as kept, which the caller adopts.
         */
        record CancelledElsewhere(JobRecord stored) implements Saved {
        }
    }

    /**
     * Keeps new jobs (one, or a batch's) when the unfinished jobs this store counts stay within
     * {@code maxUnfinished} with them; all of them or none.
     *
     * @return completes once every record is kept; exceptionally with {@link JobsFullException} when they
     *         would take the count over {@code maxUnfinished}, or with the store's failure
     */
    CompletableFuture<Void> create(List<JobRecord> jobs, int maxUnfinished);

    /**
     * Keeps a newer version of a job this replica runs (saves of one job are kept in order; a version
     * superseded before it was written may never be written on its own).
     *
     * @return what became of it, once decided; exceptionally with the store's failure
     */
    CompletableFuture<Saved> save(JobRecord job);

    /** Keeps a batch record. */
    CompletableFuture<Void> saveBatch(BatchRecord batch);

    /** The kept job {@code id}, or empty (unknown, expired, or an id outside {@link #ID}). Blocking. */
    Optional<JobRecord> load(String id);

    /** The kept batch {@code id}, or empty. Blocking. */
    Optional<BatchRecord> loadBatch(String id);

    /**
     * The unsettled jobs (unfinished, or a callback pending) this replica recovers at startup, oldest
     * first: the file store's every one; Redis's those that this replica's id owned before this process
     * started (a replica with a stable {@code router.replica-id}). Blocking.
     */
    List<JobRecord> loadActive();

    /** How many unfinished (queued or running) jobs count against {@code router.jobs.max-queued}. Blocking. */
    int unfinished();

    /**
     * Deletes settled jobs and batches last changed before {@code oldest} (a store that expires them by
     * itself deletes nothing here).
     *
     * @return how many records were deleted
     */
    int sweep(Instant oldest);

    /** Writes what is waiting (as far as it can), then stops. */
    @Override
    void close();
}
