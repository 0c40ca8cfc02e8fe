package dev.imagerouter.jobs;

import dev.imagerouter.storage.AtomicFiles;
import dev.imagerouter.storage.FileSync;
import dev.imagerouter.vocabulary.LogText;
import io.micronaut.json.JsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/*
 * The file job store: one JSON file per job under <router.storage.dir>/jobs/ (or router.jobs.dir).
 *
 *   jobs/active/<id>.json   jobs with something left to do (queued, running, or a callback pending)
 *   jobs/done/<id>.json     settled jobs, kept until router.jobs.retention after their last change
 *   jobs/batches/<id>.json  batches (their job ids)
 *
 * Every write is atomic and durable (temporary file, fsync, rename, fsync of the directory), so a
 * kill -9 leaves either the old or the new version of a file, never a torn one. A job that settles
 * is written to done/ first and then removed from active/; a crash between the two leaves both, and
 * loading prefers done/. At startup only active/ is read.
 *
 * Writes run on one writer thread, in order. A save of a job whose newer version is already waiting
 * is coalesced (the newest version is written once); each save's future completes once a version at
 * least as new is on disk. Why our own store and not an embedded database: a file per job needs no
 * new dependency, takes no exclusive lock on the directory (replicas may share it), and its
 * durability rests on the same atomic-write code as the image store; the benchmark in bench/
 * records the jobs per second it sustains.
 *
 * The unfinished jobs it counts for router.jobs.max-queued are those of this process: created here or
 * recovered at startup, until a terminal version of each is saved (a set of ids in memory).
 */
/** Durable job and batch records under the storage directory: the single-node job store. Thread-safe. */
public final class FileJobStore implements JobStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileJobStore.class);

    private final Path active;
    private final Path done;
    private final Path batches;
    private final JsonMapper json;
    private final FileSync sync;
    private final ExecutorService writer;
    private final ConcurrentHashMap<String, JobRecord> pending = new ConcurrentHashMap<>();
    private final Set<String> unfinished = ConcurrentHashMap.newKeySet();

    /** @param root the jobs directory ({@code <router.storage.dir>/jobs}) */
    public FileJobStore(Path root, JsonMapper json, FileSync sync) {
        this.active = root.resolve("active");
        this.done = root.resolve("done");
        this.batches = root.resolve("batches");
        this.json = json;
        this.sync = sync;
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "job-store-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Writes new jobs durably when this process's unfinished jobs stay within {@code maxUnfinished}.
     *
     * @return completes once every record is on disk; exceptionally with {@link JobsFullException}, or
     *         {@link UncheckedIOException} when a write failed (the jobs then count no more)
     */
    @Override
    public CompletableFuture<Void> create(List<JobRecord> jobs, int maxUnfinished) {
        synchronized (unfinished) {
            if (unfinished.size() + jobs.size() > maxUnfinished) {
                return CompletableFuture.failedFuture(new JobsFullException("There are " + maxUnfinished
                        + " unfinished jobs (router.jobs.max-queued); retry once some have finished."));
            }
            jobs.forEach(j -> unfinished.add(j.id()));
        }
        CompletableFuture<?>[] saved = jobs.stream().map(this::write).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(saved).whenComplete((v, error) -> {
            if (error != null) {
                jobs.forEach(j -> unfinished.remove(j.id()));
            }
        });
    }

    /**
     * Writes {@code job} durably (coalesced with later saves of the same job).
     *
     * @return completes with {@link Saved#KEPT} once this version (or a newer one) is on disk;
     *         exceptionally with {@link UncheckedIOException} when the write failed
     */
    @Override
    public CompletableFuture<Saved> save(JobRecord job) {
        return write(job).thenApply(v -> Saved.KEPT);
    }

    private CompletableFuture<Void> write(JobRecord job) {
        if (job.status().terminal()) {
            unfinished.remove(job.id());
        }
        pending.put(job.id(), job);
        return CompletableFuture.runAsync(() -> {
            JobRecord newest = pending.remove(job.id());
            if (newest != null) {
                writeNow(newest);
            }
        }, writer);
    }

    @Override
    public int unfinished() {
        return unfinished.size();
    }

    /** Writes a batch durably. */
    @Override
    public CompletableFuture<Void> saveBatch(BatchRecord batch) {
        return CompletableFuture.runAsync(() -> {
            try {
                AtomicFiles.write(batches.resolve(batch.id() + ".json"), json.writeValueAsBytes(batch), sync, true, false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write batch " + batch.id(), e);
            }
        }, writer);
    }

    private void writeNow(JobRecord job) {
        try {
            byte[] bytes = json.writeValueAsBytes(job);
            Path name = Path.of(job.id() + ".json");
            if (job.settled()) {
                AtomicFiles.write(done.resolve(name), bytes, sync, true, false);
                if (Files.deleteIfExists(active.resolve(name))) {
                    sync.forceDirectory(active);
                }
            } else {
                AtomicFiles.write(active.resolve(name), bytes, sync, true, false);
            }
        } catch (IOException e) {
            LOG.error("job {} not written: {}", job.id(), LogText.escape(e));
            throw new UncheckedIOException("cannot write job " + job.id(), e);
        }
    }

    /** The stored job {@code id} (done/ first), or empty. Blocking file I/O. */
    @Override
    public Optional<JobRecord> load(String id) {
        if (!ID.matcher(id).matches()) {
            return Optional.empty();
        }
        JobRecord waiting = pending.get(id);
        if (waiting != null) {
            return Optional.of(waiting);
        }
        Optional<JobRecord> settled = read(done.resolve(id + ".json"), JobRecord.class);
        return settled.isPresent() ? settled : read(active.resolve(id + ".json"), JobRecord.class);
    }

    /** The stored batch {@code id}, or empty. Blocking file I/O. */
    @Override
    public Optional<BatchRecord> loadBatch(String id) {
        return ID.matcher(id).matches() ? read(batches.resolve(id + ".json"), BatchRecord.class) : Optional.empty();
    }

    /** Every job in active/ that is not also in done/ (startup recovery), oldest first; the unfinished ones count. Blocking. */
    @Override
    public List<JobRecord> loadActive() {
        List<JobRecord> jobs = new ArrayList<>();
        for (Path file : list(active)) {
            if (Files.exists(done.resolve(file.getFileName()))) {
                delete(file); // settled just before a crash: done/ has the newer version
                continue;
            }
            read(file, JobRecord.class).ifPresent(jobs::add);
        }
        jobs.sort(java.util.Comparator.comparing(JobRecord::created));
        jobs.stream().filter(j -> !j.status().terminal()).forEach(j -> unfinished.add(j.id()));
        return jobs;
    }

    /**
     * Deletes settled jobs and batches whose files were last changed before {@code oldest}.
     *
     * @return how many files were deleted
     */
    @Override
    public int sweep(Instant oldest) {
        int deleted = 0;
        for (Path dir : List.of(done, batches)) {
            for (Path file : list(dir)) {
                try {
                    if (Files.getLastModifiedTime(file).toInstant().isBefore(oldest) && delete(file)) {
                        deleted++;
                    }
                } catch (IOException e) {
                    // vanished meanwhile
                }
            }
        }
        return deleted;
    }

    private <T> Optional<T> read(Path file, Class<T> type) {
        try {
            return Optional.ofNullable(json.readValue(Files.readAllBytes(file), type));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.error("job store file {} cannot be read ({}); it is left as it is", file, LogText.escape(e));
            return Optional.empty();
        }
    }

    private static List<Path> list(Path dir) {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.json")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return files;
    }

    private static boolean delete(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes what is waiting, then stops the writer. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
