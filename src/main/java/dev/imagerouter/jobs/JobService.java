package dev.imagerouter.jobs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.imagerouter.routing.ChainFailedException;
import dev.imagerouter.routing.Draining;
import dev.imagerouter.routing.ShuttingDownException;
import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.routing.PermitQueues;
import dev.imagerouter.routing.RouteOptions;
import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.routing.WalkCancelledException;
import dev.imagerouter.routing.WalkObserver;
import dev.imagerouter.settings.JobSettings;
import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.LogContext;
import dev.imagerouter.vocabulary.LogText;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.vocabulary.PartialImageListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/*
 * A job's life
 * ------------
 *   create: the record is written durably (jobs/active/<id>.json) before the 202 goes out, then the
 *           job runs: GenerationService.generate with queueing options (the cache answers at once:
 *           a job born succeeded; an identical generation in flight is joined).
 *   queued: the walk waits in the provider's FIFO queue for a concurrency slot and a rate-limit
 *           permit, up to router.jobs.max-wait per provider, then the policy's fallback applies.
 *           DELETE cancels it here (nothing was called, nothing paid).
 *   call:   before each provider call the job records "calling <provider>" durably and only then
 *           lets the call go; a Leonardo generationId, once answered, is recorded too.
 *   end:    succeeded (result = the stored generation) or failed (error = the OpenAI error shape);
 *           the callback, when there is one, is delivered and each delivery recorded; a job whose
 *           callback is settled moves to jobs/done/ and is kept for router.jobs.retention.
 *   crash:  at startup every job in jobs/active/ is picked up: an accepted provider job is resumed
 *           by its id (never created again); a call that was under way without an accepted id may
 *           have been billed and is not repeated (that provider is skipped, INTERRUPTED); a queued
 *           job runs; a finished job's pending callback is delivered.
 *   logs:   every line about a job (its run, its end, its callback) carries the job's own log context,
 *           rebuilt from its record (request_id, client, request_hash, job_id), whatever thread runs
 *           it and even after a restart (logContext, vocabulary.LogContext).
 *   stop:   a graceful shutdown (Draining) accepts no new job and starts no provider call: queued
 *           jobs stop waiting for permits and a walk that would fall back stops before the next
 *           provider, each left in the store as it stands (queued, or running without a call) to run
 *           after the restart; calls under way (an accepted Leonardo job) go on through the grace.
 *           When the grace is over the store is frozen: nothing of the teardown (a poll failing
 *           because the HTTP client closed) can mark a job failed or drop its generationId, so an
 *           accepted job still running is resumed by that id after the restart, never created again.
 */
/** Creates, runs, cancels and recovers asynchronous jobs. Thread-safe. */
@jakarta.inject.Singleton
public class JobService {

    private static final Logger LOG = LoggerFactory.getLogger(JobService.class);

    /**
     * A job to create.
     *
     * @param client      the client's name ({@code ""}: anonymous)
     * @param onUnused    called (once, in this process) if the job ends without images: gives back
     *                    the client's daily image allowance
     */
    public record NewJob(String client, String requestId, ImageRequest image, boolean noCache, String responseFormat,
                         String base, Optional<String> callbackUrl, Runnable onUnused) {
    }

    private final RunningRouter runtime;
    private final GenerationService generations;
    private final JobStore store;
    private final JobDocuments documents;
    private final JobCallbacks callbacks;
    private final Clock clock;
    private final Map<String, Job> live = new ConcurrentHashMap<>();
    private final Cache<String, JobRecord> recent = Caffeine.newBuilder().maximumSize(10_000).build();
    private final AtomicInteger unfinished = new AtomicInteger();
    private final Map<JobRecord.Status, Counter> finished = new EnumMap<>(JobRecord.Status.class);
    /** How often a job runs again after the generation it joined was cancelled, before it fails. */
    private static final int MAX_RERUNS = 3;

    private final java.util.concurrent.ExecutorService storageIo;
    private final Draining draining;
    /** Set when a shutdown's grace is over: no job record changes any more (see "stop" above). */
    private volatile boolean frozen;

    public JobService(RunningRouter runtime, GenerationService generations, JobStore store, JobDocuments documents,
                      JobCallbacks callbacks, Clock clock, MeterRegistry meters, PermitQueues queues,
                      @jakarta.inject.Named("storage-io") java.util.concurrent.ExecutorService storageIo, Draining draining) {
        this.storageIo = storageIo;
        this.draining = draining;
        this.runtime = runtime;
        this.generations = generations;
        this.store = store;
        this.documents = documents;
        this.callbacks = callbacks;
        this.clock = clock;
        for (JobRecord.Status status : List.of(JobRecord.Status.QUEUED, JobRecord.Status.RUNNING)) {
            Gauge.builder(MetricNames.JOBS, live, m -> m.values().stream().filter(j -> j.record().status() == status).count())
                    .description("Unfinished asynchronous jobs by status").tag("status", status.wire()).register(meters);
        }
        for (JobRecord.Status status : List.of(JobRecord.Status.SUCCEEDED, JobRecord.Status.FAILED, JobRecord.Status.CANCELLED)) {
            finished.put(status, Counter.builder(MetricNames.JOBS_FINISHED).description("Asynchronous jobs that ended, by status")
                    .tag("status", status.wire()).register(meters));
        }
        Gauge.builder(MetricNames.JOB_QUEUE_DEPTH, queues, PermitQueues::depth)
                .description("Asynchronous jobs waiting for a provider's rate-limit permit or concurrency slot").register(meters);
        Gauge.builder(MetricNames.JOBS_MAX_QUEUED, runtime, r -> r.config().jobs().maxQueued())
                .description("router.jobs.max-queued: the most unfinished jobs accepted at once").register(meters);
    }

    private JobSettings settings() {
        return runtime.config().jobs();
    }

    /**
     * Creates jobs (one, or a batch's), durably, and starts them.
     *
     * @return the jobs as they are once started (a cache hit is already succeeded)
     * @throws JobsFullException when they would take the unfinished jobs over {@code router.jobs.max-queued}
     * @throws ShuttingDownException while the router drains for a shutdown
     */
    public CompletableFuture<List<JobRecord>> create(List<NewJob> requests, Optional<String> batchId) {
        draining.requireOpen(); // a new job would only wait for the restart: another instance runs it now
        int max = settings().maxQueued();
        if (unfinished.addAndGet(requests.size()) > max) {
            unfinished.addAndGet(-requests.size());
            throw new JobsFullException("There are " + max + " unfinished jobs (router.jobs.max-queued); retry once some"
                    + " have finished.");
        }
        Instant now = clock.instant();
        // the jobs' spans hang under the request that made them (this thread's), though they start later
        dev.imagerouter.tracing.TraceParent trace = dev.imagerouter.tracing.TraceParent.current();
        List<Job> jobs = new ArrayList<>();
        List<CompletableFuture<Void>> saved = new ArrayList<>();
        for (NewJob n : requests) {
            String hash = generations.requestHash(n.image(), namespace(n.client()));
            JobRecord.Callback callback = n.callbackUrl()
                    .map(url -> new JobRecord.Callback(url, JobRecord.Callback.PENDING, List.of())).orElse(null);
            JobRecord record = new JobRecord(newId("job"), n.client(), n.requestId(), JobRecord.Status.QUEUED, now, now, hash,
                    new JobRecord.JobRequest(n.image(), n.noCache(), n.responseFormat(), n.base()), List.of(), null, null,
                    Set.of(), null, null, callback, batchId.orElse(null));
            Job job = new Job(record, n.onUnused());
            job.trace = trace;
            jobs.add(job);
            saved.add(store.save(record));
        }
        return CompletableFuture.allOf(saved.toArray(CompletableFuture[]::new)).handle((v, error) -> {
            if (error != null) {
                unfinished.addAndGet(-requests.size());
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            List<JobRecord> started = new ArrayList<>();
            for (Job job : jobs) {
                live.put(job.record().id(), job);
                job.event("queued", Map.of());
                run(job);
                started.add(job.record());
            }
            return started;
        });
    }

    /** Writes a batch record of already created jobs. */
    public CompletableFuture<Void> saveBatch(BatchRecord batch) {
        return store.saveBatch(batch);
    }

    /** A new id: {@code prefix_} and 24 hex digits. */
    public static String newId(String prefix) {
        byte[] bytes = new byte[12];
        ThreadLocalRandom.current().nextBytes(bytes);
        return prefix + "_" + HexFormat.of().formatHex(bytes);
    }

    /** The job {@code id} when it belongs to {@code client}. May read the store (blocking). */
    public Optional<JobRecord> get(String id, String client) {
        Job job = live.get(id);
        JobRecord record = job != null ? job.record() : recent.getIfPresent(id);
        if (record == null) {
            record = store.load(id).orElse(null);
        }
        return Optional.ofNullable(record).filter(r -> r.client().equals(client));
    }

    /** The batch {@code id} when it belongs to {@code client}. Blocking. */
    public Optional<BatchRecord> batch(String id, String client) {
        return store.loadBatch(id).filter(b -> b.client().equals(client));
    }

    /** What {@link #cancel} found. */
    public enum CancelOutcome { CANCELLED, NOT_FOUND, NOT_QUEUED }

    /** Cancels a queued job of {@code client}: nothing was called for it, nothing is paid. */
    public CancelOutcome cancel(String id, String client) {
        Job job = live.get(id);
        if (job == null) {
            return get(id, client).isPresent() ? CancelOutcome.NOT_QUEUED : CancelOutcome.NOT_FOUND;
        }
        if (!job.record().client().equals(client)) {
            return CancelOutcome.NOT_FOUND;
        }
        boolean cancelled = job.cancel();
        return cancelled ? CancelOutcome.CANCELLED : CancelOutcome.NOT_QUEUED;
    }

    /**
     * Subscribes to a job's events: {@code now} hears the job as it is, then {@code listener} every
     * later event, in order, up to the terminal one (a job already terminal has none). Returns the
     * job as {@code now} heard it, or empty when {@code client} has no such job.
     */
    public Optional<JobRecord> subscribe(String id, String client, Consumer<JobEvent> listener, Consumer<JobRecord> now) {
        Job job = live.get(id);
        if (job != null && job.record().client().equals(client)) {
            return Optional.of(job.subscribe(listener, now));
        }
        Optional<JobRecord> stored = get(id, client);
        stored.ifPresent(now);
        return stored;
    }

    /** Stops {@code listener} hearing job {@code id}. */
    public void unsubscribe(String id, Consumer<JobEvent> listener) {
        Job job = live.get(id);
        if (job != null) {
            job.subscribers.remove(listener);
        }
    }

    /** Deletes settled jobs and batches older than {@code router.jobs.retention}. Blocking. */
    public int sweep() {
        Instant oldest = clock.instant().minus(settings().retention());
        int deleted = store.sweep(oldest);
        if (deleted > 0) {
            LOG.info("job store: {} settled job or batch file(s) past router.jobs.retention deleted", deleted);
        }
        return deleted;
    }

    /**
     * Picks up every job the store holds as unsettled (startup): resumes accepted provider jobs by
     * their id first, then runs queued (and interrupted) jobs in creation order, and delivers the
     * pending callbacks of finished ones. Blocking (reads the store).
     */
    public void recover() {
        List<JobRecord> records = store.loadActive();
        List<Job> resumed = new ArrayList<>();
        List<Job> queued = new ArrayList<>();
        for (JobRecord record : records) {
            if (live.containsKey(record.id())) {
                continue;
            }
            Job job;
            if (record.status().terminal()) {
                job = new Job(record, () -> { });
                live.put(record.id(), job);
                callbacks.deliver(job, () -> settle(job));
                continue;
            }
            unfinished.incrementAndGet();
            if (record.accepted() == null) {
                record = record.with(JobRecord.Status.QUEUED, clock.instant());
            }
            if (record.accepted() != null && record.calling() != null && !record.calling().equals(record.accepted().provider())) {
                // a fallback's call was under way while the earlier provider's accepted job ran late: the job is
                // resumed, the interrupted call (maybe billed) is not repeated
                Set<String> skip = new HashSet<>(record.interrupted());
                skip.add(record.calling());
                record = record.interrupted(skip, record.attempts(), clock.instant());
            }
            if (record.accepted() == null && record.calling() != null) {
                Set<String> skip = new HashSet<>(record.interrupted());
                skip.add(record.calling());
                try (LogContext.Scope ignored = LogContext.open(logContext(record), LogContext.PROVIDER, record.calling())) {
                    LOG.warn("job {}: a call to {} was under way when the router stopped and no provider job id was recorded;"
                            + " it may have been billed, so it is not repeated (the chain goes on without it)", record.id(),
                            LogText.escape(record.calling()));
                }
                record = record.interrupted(skip, record.attempts(), clock.instant()).with(JobRecord.Status.QUEUED, clock.instant());
            }
            job = new Job(record, () -> { });
            live.put(record.id(), job);
            (record.accepted() != null ? resumed : queued).add(job);
        }
        for (Job job : resumed) {
            JobRecord r = job.record();
            try (LogContext.Scope ignored = LogContext.open(logContext(r), LogContext.PROVIDER, r.accepted().provider())) {
                LOG.info("job {}: resuming {} job {} after a restart (it is not created again)", r.id(),
                        LogText.escape(r.accepted().provider()), LogText.escape(r.accepted().jobId()));
            }
            run(job);
        }
        queued.forEach(this::run);
        if (!records.isEmpty()) {
            LOG.info("jobs recovered at startup: {} resumed by provider job id, {} queued again, {} with a pending callback",
                    resumed.size(), queued.size(), records.size() - resumed.size() - queued.size());
        }
    }

    /** Recovers the store's unsettled jobs once the server (and, in sandbox mode, the emulators) serves. */
    @io.micronaut.runtime.event.annotation.EventListener
    void onStartup(io.micronaut.runtime.server.event.ServerStartupEvent event) {
        storageIo.execute(() -> {
            try {
                recover();
            } catch (RuntimeException e) {
                LOG.error("job recovery failed: {}", LogText.escape(e));
            }
        });
    }

    /** Deletes settled jobs past their retention, hourly. */
    @io.micronaut.scheduling.annotation.Scheduled(fixedDelay = "1h", initialDelay = "1m")
    void sweepHourly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warn("job store sweep failed: {}", LogText.escape(e));
        }
    }

    /**
     * A shutdown has started ({@link Draining} is active): every unfinished job's walk stops at its
     * next provider boundary, a queued one at once; calls under way go on. Those jobs stay in the
     * store as they stand and run after the restart.
     */
    public void stopStarting() {
        int stopped = 0;
        for (Job job : live.values()) {
            if (!job.record().status().terminal() && job.cancelled.complete(null)) {
                stopped++;
            }
        }
        if (stopped > 0) {
            LOG.info("shutdown: {} unfinished job(s) start no new provider call; whatever has not finished stays in the"
                    + " job store for the restart", stopped);
        }
    }

    /**
     * The shutdown's grace is over: from now on no job record changes, in memory or on disk, so the
     * teardown cannot mark a job failed or drop an accepted job's id. Saves already handed to the
     * store are still written (they are real progress).
     */
    public void freeze() {
        frozen = true;
    }

    /** Unfinished jobs (queued or running) now. */
    public int unfinished() {
        return unfinished.get();
    }

    private static Optional<String> namespace(String client) {
        return client.isEmpty() ? Optional.empty() : Optional.of(client);
    }

    /** The log context of a job's lines: its request's id and client, its request hash and its own id. */
    static Map<String, String> logContext(JobRecord r) {
        return LogContext.with(Map.of(), LogContext.REQUEST_ID, r.requestId(),
                LogContext.CLIENT, r.client().isEmpty() ? "anonymous" : LogText.escape(r.client()),
                LogContext.REQUEST_HASH, r.requestHash(), LogContext.JOB_ID, r.id());
    }

    private void run(Job job) {
        JobRecord r = job.record();
        RouteOptions options = new RouteOptions(PartialImageListener.NONE, job, Optional.of(settings().maxWait()),
                r.interrupted(), job.cancelled, job.trace);
        CompletableFuture<GenerationService.Generation> generation;
        // the walk captures this context and carries it to its other threads
        try (LogContext.Scope ignored = LogContext.open(logContext(r))) {
            ImageRequest image = r.request().image();
            generation = r.accepted() != null
                    ? generations.resume(image, namespace(r.client()), r.requestId(), options, r.accepted().provider(),
                    r.accepted().jobId())
                    : generations.generate(image, namespace(r.client()), r.request().noCache(), r.requestId(),
                    Optional.empty(), options);
        } catch (RuntimeException e) {
            generation = CompletableFuture.failedFuture(e);
        }
        generation.whenComplete((g, error) -> finish(job, g, error));
    }

    private void finish(Job job, GenerationService.Generation generation, Throwable error) {
        try (LogContext.Scope ignored = LogContext.open(logContext(job.record()))) {
            finishNow(job, generation, error);
        }
    }

    private void finishNow(Job job, GenerationService.Generation generation, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (frozen) {
            return; // the teardown of a shutdown: the store keeps the job as it was
        }
        if (cause != null && draining.active() && !job.cancelRequested
                && (cause instanceof WalkCancelledException || cause instanceof ShuttingDownException)) {
            // stopped by the shutdown before a new provider call: not a failure, it runs after the restart
            JobRecord r = job.record();
            LOG.info("job {} stays {} in the job store for the restart (the router is shutting down)", r.id(), r.status().wire());
            return;
        }
        if (cause instanceof WalkCancelledException && !job.cancelRequested && job.recordFailure == null
                && job.reruns++ < MAX_RERUNS) {
            // it had joined another job's generation, and that job was cancelled: run on its own
            run(job);
            return;
        }
        Throwable failure = job.recordFailure != null
                ? new java.io.UncheckedIOException("job " + job.record().id() + " could not record its provider call durably",
                job.recordFailure instanceof java.io.IOException io ? io : new java.io.IOException(job.recordFailure))
                : cause;
        Instant now = clock.instant();
        JobRecord ended = job.update(r -> {
            if (r.status().terminal()) {
                return r; // cancelled meanwhile
            }
            if (cause == null) {
                List<Attempt> trail = generation.cached() ? r.attempts() : generation.generation().attempts();
                return r.succeeded(new JobRecord.Result(generation.generation().record(), generation.cached()), trail, now);
            }
            List<Attempt> trail = failure instanceof ChainFailedException chain ? chain.attempts() : r.attempts();
            return r.failed(documents.error(failure), trail, now);
        });
        if (ended.status() == JobRecord.Status.CANCELLED && cause == null) {
            return; // cancelled before; its images are stored and cached anyway
        }
        if (ended.status() != JobRecord.Status.CANCELLED) {
            ended(job, ended);
        }
    }

    /** A job reached a terminal status: counters, events, callback, allowance. */
    private void ended(Job job, JobRecord ended) {
        unfinished.decrementAndGet();
        finished.get(ended.status()).increment();
        if (ended.status() != JobRecord.Status.SUCCEEDED) {
            job.onUnused.run();
        }
        if (ended.status() == JobRecord.Status.FAILED) {
            LOG.info("job {} failed: {}", ended.id(), LogText.escape(ended.error().message()));
        }
        job.event(ended.status().wire(), Map.of());
        if (ended.callback() != null) {
            callbacks.deliver(job, () -> settle(job));
        } else {
            settle(job);
        }
    }

    /** Moves a job with nothing left to do out of memory (its file went to done/). */
    void settle(Job job) {
        JobRecord record = job.record();
        if (record.settled()) {
            recent.put(record.id(), record);
            live.remove(record.id());
        }
    }

    /** A job in this process: its record (changed under its lock, saved in order), cancel signal, subscribers. */
    final class Job implements WalkObserver {
        private JobRecord record;
        private final Runnable onUnused;
        final CompletableFuture<Void> cancelled = new CompletableFuture<>();
        /** Where its spans hang: the request that created it; none for a job recovered after a restart. */
        volatile dev.imagerouter.tracing.TraceParent trace = dev.imagerouter.tracing.TraceParent.NONE;
        private volatile boolean cancelRequested;
        /** Why the record of a provider call could not be written (then no call is made and the job fails). */
        private volatile Throwable recordFailure;
        /** Times the job ran again because the generation it had joined was cancelled. */
        private int reruns;
        private final List<Consumer<JobEvent>> subscribers = new CopyOnWriteArrayList<>();

        Job(JobRecord record, Runnable onUnused) {
            this.record = record;
            this.onUnused = onUnused;
        }

        synchronized JobRecord record() {
            return record;
        }

        /** Changes the record and saves it (in order: the store coalesces). */
        JobRecord update(UnaryOperator<JobRecord> change) {
            return updateAndSave(change).record;
        }

        private record Saved(JobRecord record, CompletableFuture<Void> saved) {
        }

        private synchronized Saved updateAndSave(UnaryOperator<JobRecord> change) {
            if (frozen) {
                return new Saved(record, CompletableFuture.completedFuture(null));
            }
            JobRecord next = change.apply(record);
            if (next == record) {
                return new Saved(record, CompletableFuture.completedFuture(null));
            }
            record = next;
            CompletableFuture<Void> saved = store.save(next);
            if (next.settled()) {
                saved.whenComplete((v, e) -> settle(this));
            }
            return new Saved(next, saved);
        }

        synchronized JobRecord subscribe(Consumer<JobEvent> listener, Consumer<JobRecord> now) {
            now.accept(record);
            if (!record.status().terminal()) {
                subscribers.add(listener);
            }
            return record;
        }

        boolean cancel() {
            Saved saved;
            synchronized (this) {
                if (record.status() != JobRecord.Status.QUEUED || frozen) {
                    return false;
                }
                cancelRequested = true;
                saved = updateAndSave(r -> r.cancelled(clock.instant()));
            }
            cancelled.complete(null);
            ended(this, saved.record);
            return true;
        }

        /** Tells the subscribers, under the job's lock: events keep their order whatever thread fires them. */
        synchronized void event(String name, Map<String, Object> data) {
            JobEvent event = new JobEvent(name, data, record);
            for (Consumer<JobEvent> s : subscribers) {
                try {
                    s.accept(event);
                } catch (RuntimeException e) {
                    LOG.debug("job event subscriber failed: {}", LogText.escape(e));
                }
            }
            if (event.terminal()) {
                subscribers.clear();
            }
        }

        @Override
        public void onWaiting(String provider) {
            event("waiting", Map.of("provider", provider));
        }

        @Override
        public CompletableFuture<Boolean> beforeCall(String provider) {
            Saved saved;
            synchronized (this) {
                if (cancelRequested || record.status().terminal() || draining.active()) {
                    return CompletableFuture.completedFuture(false); // cancelled, or no new call while shutting down
                }
                Instant now = clock.instant();
                saved = updateAndSave(r -> r.calling(provider, now));
            }
            event("attempt_started", Map.of("provider", provider));
            // the call goes out only once "calling <provider>" is on disk: after a crash it is known;
            // a store that cannot write it means no call (the job fails with storage_unavailable)
            return saved.saved.handle((v, error) -> {
                if (error != null) {
                    recordFailure = error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
                    return false;
                }
                return true;
            });
        }

        @Override
        public void onAccepted(String provider, String jobId) {
            Instant now = clock.instant();
            update(r -> r.accepted(new JobRecord.Accepted(provider, jobId), now));
            event("accepted", Map.of("provider", provider));
        }

        @Override
        public void onAttempt(Attempt attempt) {
            Instant now = clock.instant();
            update(r -> r.status().terminal() ? r : r.attempt(attempt, now));
            event("attempt", Map.of("attempt", attempt));
        }

        @Override
        public void onFallback(String from, String to, FailureKind kind) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("from", from);
            data.put("to", to);
            data.put("failure_kind", kind.name());
            event("fallback", data);
        }
    }
}
