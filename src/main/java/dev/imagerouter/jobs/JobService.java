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

// Over 300 lines: a job's life is one state machine under its Job's lock (create, run, the walk observer,
// end, cancel, recovery, takeover, release), and splitting it would spread that lock's rules over classes;
// what stands apart already is: the stores, JobCallbacks, JobTakeover (leases), JobEventRelay (events across
// replicas).

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
 *
 * Replicas (REDIS_URI set; RedisJobStore, JobTakeover, JobEventRelay)
 * --------
 *   store:    a new job goes to Redis while it is up (global max-queued), else to this replica's file
 *             store (the fallback is counted and logged once per transition); each job stays in the
 *             store it was created in (Job.store). Lookups: this replica's memory, then Redis, then
 *             the file store. A job in Redis is run by the replica that owns it: its creator, or the
 *             replica that took it over (JobTakeover claims the jobs of a replica whose lease expired
 *             and hands them to adopt(), which recovers them exactly as startup does).
 *   writes:   every save of a Redis job is conditional on still owning it: Lost (taken over while this
 *             replica's lease had expired) stops the job here without a trace (release()); a cancel on
 *             another replica answers CancelledElsewhere, and the job ends cancelled here as if
 *             cancelled here (adoptCancel()); both mean no provider call. While Redis is down a save
 *             waits in the store: a job that needs a new provider call waits for Redis, because only a
 *             "calling <provider>" that other replicas can read keeps a takeover from calling again;
 *             after a renewal period it leaves the provider's queue (park(): its slot goes to the jobs
 *             of the file store) and runs again once Redis is back (unparkShared()). Calls under way go
 *             on and their progress is written back when Redis returns (JobTakeover also writes back
 *             every job it runs when its lease had lapsed or Redis lost its data).
 *             Max-queued while Redis is down counts the jobs of this replica's file store only.
 *   events:   the owner's events are relayed through Redis; a replica that does not run the job streams
 *             the snapshot, the relayed events, and the terminal event (polled too, never missed).
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
    /** The file store: the single-node store, and the fallback while Redis is down. */
    private final JobStore store;
    /** The Redis store, with {@code REDIS_URI} set. */
    private final Optional<RedisJobStore> shared;
    private final Optional<JobEventRelay> relay;
    private final dev.imagerouter.cluster.Cluster cluster;
    private final java.util.concurrent.ScheduledExecutorService scheduler;
    /** Whether the last new job went to the file store although Redis is configured (logged once per change). */
    private final java.util.concurrent.atomic.AtomicBoolean degraded = new java.util.concurrent.atomic.AtomicBoolean();
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
                      @jakarta.inject.Named("storage-io") java.util.concurrent.ExecutorService storageIo, Draining draining,
                      dev.imagerouter.cluster.Cluster cluster, io.micronaut.json.JsonMapper json,
                      @jakarta.inject.Named("router-scheduler") java.util.concurrent.ScheduledExecutorService scheduler) {
        this.cluster = cluster;
        this.scheduler = scheduler;
        this.shared = cluster.enabled()
                ? Optional.of(new RedisJobStore(cluster, json, () -> runtime.config().jobs().retention(),
                runtime.config().jobs().leaseTtl(), clock.instant()))
                : Optional.empty();
        this.relay = shared.map(s -> new JobEventRelay(cluster, json, s, scheduler, this::onCancelledElsewhere));
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
                    .description("Unfinished asynchronous jobs this replica runs, by status (sum over replicas for the total)")
                    .tag("status", status.wire()).register(meters);
        }
        for (JobRecord.Status status : List.of(JobRecord.Status.SUCCEEDED, JobRecord.Status.FAILED, JobRecord.Status.CANCELLED)) {
            finished.put(status, Counter.builder(MetricNames.JOBS_FINISHED).description("Asynchronous jobs that ended, by status")
                    .tag("status", status.wire()).register(meters));
        }
        Gauge.builder(MetricNames.JOB_QUEUE_DEPTH, queues, PermitQueues::depth)
                .description("Asynchronous jobs waiting for a provider's rate-limit permit or concurrency slot").register(meters);
        // scope: replica (each replica limits its own jobs) or shared (REDIS_URI: one limit for all replicas, so
        // dashboards and alerts compare it with the sum over the replicas, each of which reports the jobs it runs)
        Gauge.builder(MetricNames.JOBS_MAX_QUEUED, runtime, r -> r.config().jobs().maxQueued())
                .description("router.jobs.max-queued: the most unfinished jobs accepted at once (scope replica: per"
                        + " replica; shared: across the replicas sharing Redis)")
                .tag("scope", cluster.enabled() ? "shared" : "replica").register(meters);
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
        Instant now = clock.instant();
        // the jobs' spans hang under the request that made them (this thread's), though they start later
        dev.imagerouter.tracing.TraceParent trace = dev.imagerouter.tracing.TraceParent.current();
        List<Job> jobs = new ArrayList<>();
        List<JobRecord> records = new ArrayList<>();
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
            records.add(record);
        }
        CompletableFuture<JobStore> kept;
        if (shared.isPresent() && cluster.use(dev.imagerouter.cluster.SharedOperation.JOBS)) {
            RedisJobStore redis = shared.get();
            kept = redis.create(records, max).<JobStore>thenApply(v -> {
                degraded(false);
                return redis;
            }).exceptionallyCompose(error -> unwrap(error) instanceof dev.imagerouter.cluster.SharedStateUnavailableException
                    ? createLocally(records, max) : CompletableFuture.failedFuture(error));
        } else {
            kept = createLocally(records, max);
            if (kept.isCompletedExceptionally() && kept.handle((v, e) -> unwrap(e)).join() instanceof JobsFullException full) {
                throw full; // at once, as it always was without Redis
            }
        }
        return kept.thenApply(where -> {
            unfinished.addAndGet(requests.size());
            List<JobRecord> started = new ArrayList<>();
            for (Job job : jobs) {
                job.store = where;
                live.put(job.record().id(), job);
                job.event("queued", Map.of());
                run(job);
                started.add(job.record());
            }
            return started;
        });
    }

    /** New jobs in this replica's file store (no Redis, or Redis is down: then logged once per change). */
    private CompletableFuture<JobStore> createLocally(List<JobRecord> records, int max) {
        if (shared.isPresent()) {
            degraded(true);
        }
        return store.create(records, max).thenApply(v -> store);
    }

    private void degraded(boolean now) {
        if (degraded.compareAndSet(!now, now)) {
            if (now) {
                LOG.warn("jobs: Redis is unavailable; new jobs are kept in this replica's file store and run here"
                        + " (image_router_redis_fallbacks_total{operation=\"jobs\"}) until it is back");
            } else {
                LOG.info("jobs: Redis is back; new jobs are shared again");
            }
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Writes a batch record of already created jobs (to Redis while it is up, else the file store). */
    public CompletableFuture<Void> saveBatch(BatchRecord batch) {
        if (shared.isPresent() && cluster.up()) {
            return shared.get().saveBatch(batch).exceptionallyCompose(error -> store.saveBatch(batch));
        }
        return store.saveBatch(batch);
    }

    /** A new id: {@code prefix_} and 24 hex digits. */
    public static String newId(String prefix) {
        byte[] bytes = new byte[12];
        ThreadLocalRandom.current().nextBytes(bytes);
        return prefix + "_" + HexFormat.of().formatHex(bytes);
    }

    /** The job {@code id} when it belongs to {@code client}. May read the stores (blocking). */
    public Optional<JobRecord> get(String id, String client) {
        Job job = live.get(id);
        JobRecord record = job != null ? job.record() : recent.getIfPresent(id);
        if (record == null) {
            record = sharedRecord(id).orElse(null);
        }
        if (record == null) {
            record = store.load(id).orElse(null);
        }
        return Optional.ofNullable(record).filter(r -> r.client().equals(client));
    }

    /** Job {@code id} as Redis has it; empty without Redis, while it is down (the file store is asked next), or unknown. */
    private Optional<JobRecord> sharedRecord(String id) {
        if (shared.isEmpty()) {
            return Optional.empty();
        }
        try {
            return shared.get().load(id);
        } catch (CompletionException | dev.imagerouter.cluster.SharedStateUnavailableException e) {
            return Optional.empty();
        }
    }

    /** The batch {@code id} when it belongs to {@code client}. Blocking. */
    public Optional<BatchRecord> batch(String id, String client) {
        Optional<BatchRecord> batch = Optional.empty();
        if (shared.isPresent()) {
            try {
                batch = shared.get().loadBatch(id);
            } catch (CompletionException | dev.imagerouter.cluster.SharedStateUnavailableException e) {
                // Redis is down: this replica's file store only
            }
        }
        return batch.or(() -> store.loadBatch(id)).filter(b -> b.client().equals(client));
    }

    /** What {@link #cancel} found. */
    public enum CancelOutcome { CANCELLED, NOT_FOUND, NOT_QUEUED }

    /**
     * Cancels a queued job of {@code client}: nothing was called for it, nothing is paid. A Redis job
     * that another replica runs is cancelled in Redis (the owner stops it before any call: see
     * RedisJobStore). Blocking.
     */
    public CancelOutcome cancel(String id, String client) {
        Job job = live.get(id);
        if (job != null) {
            if (!job.record().client().equals(client)) {
                return CancelOutcome.NOT_FOUND;
            }
            return job.cancel() ? CancelOutcome.CANCELLED : CancelOutcome.NOT_QUEUED;
        }
        if (shared.isPresent()) {
            try {
                RedisJobStore.Cancel c = shared.get().cancel(id, client, clock.instant());
                switch (c.outcome()) {
                    case CANCELLED -> {
                        return CancelOutcome.CANCELLED;
                    }
                    case NOT_QUEUED -> {
                        return CancelOutcome.NOT_QUEUED;
                    }
                    default -> {
                        // not in Redis: this replica's file store may have it
                    }
                }
            } catch (CompletionException | dev.imagerouter.cluster.SharedStateUnavailableException e) {
                // Redis is down: only the jobs this replica runs can be cancelled now
            }
        }
        return get(id, client).isPresent() ? CancelOutcome.NOT_QUEUED : CancelOutcome.NOT_FOUND;
    }

    /**
     * Subscribes to a job's events: {@code now} hears the job as it is, then {@code listener} every
     * later event, in order, up to the terminal one (a job already terminal has none). Returns the
     * job as {@code now} heard it, or empty when {@code client} has no such job. A Redis job that
     * another replica runs is watched through Redis (the relayed events, and its record polled every
     * {@value JobEventRelay#REMOTE_POLL_MILLIS} ms so that the terminal event is never missed). May read the stores (blocking).
     */
    public Optional<JobRecord> subscribe(String id, String client, Consumer<JobEvent> listener, Consumer<JobRecord> now) {
        Job job = live.get(id);
        if (job != null && job.record().client().equals(client)) {
            return Optional.of(job.subscribe(listener, now));
        }
        if (job == null && relay.isPresent()) {
            Optional<JobRecord> remote = sharedRecord(id);
            if (remote.isPresent() && !remote.get().status().terminal()) {
                return remote.get().client().equals(client) ? Optional.of(watchRemote(remote.get(), listener, now)) : Optional.empty();
            }
        }
        Optional<JobRecord> stored = get(id, client);
        stored.ifPresent(now);
        return stored;
    }

    private JobRecord watchRemote(JobRecord first, Consumer<JobEvent> listener, Consumer<JobRecord> now) {
        return relay.get().watchJob(first, listener, now);
    }

    /** Stops {@code listener} hearing job {@code id}. */
    public void unsubscribe(String id, Consumer<JobEvent> listener) {
        Job job = live.get(id);
        if (job != null) {
            job.subscribers.remove(listener);
        }
        relay.ifPresent(r -> r.stopWatching(listener));
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
     * Picks up every job the file store holds as unsettled (startup): resumes accepted provider jobs by
     * their id first, then runs queued (and interrupted) jobs in creation order, and delivers the
     * pending callbacks of finished ones. Blocking (reads the store).
     */
    public void recover() {
        adopt(store.loadActive(), store, "recovered at startup");
    }

    /**
     * Runs jobs this process did not create: recovered at startup, or taken over from a replica whose
     * lease expired. Exactly as after a restart: an accepted provider job is resumed by its id (never
     * created again), a call that was under way without an accepted id may have been billed and is not
     * repeated (that provider is skipped, INTERRUPTED), queued jobs run in creation order, a finished
     * job's pending callback is delivered.
     *
     * @param records the jobs, oldest first
     * @param from    where they are kept (their later saves go there)
     * @param how     for the log: {@code recovered at startup}, {@code taken over from replica r1}
     */
    void adopt(List<JobRecord> records, JobStore from, String how) {
        List<Job> resumed = new ArrayList<>();
        List<Job> queued = new ArrayList<>();
        int callbacksPending = 0;
        for (JobRecord record : records) {
            if (live.containsKey(record.id())) {
                continue;
            }
            Job job;
            if (record.status().terminal()) {
                job = new Job(record, () -> { });
                job.store = from;
                live.put(record.id(), job);
                callbacks.deliver(job, () -> settle(job));
                callbacksPending++;
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
                    LOG.warn("job {}: a call to {} was under way when its router stopped and no provider job id was recorded;"
                            + " it may have been billed, so it is not repeated (the chain goes on without it)", record.id(),
                            LogText.escape(record.calling()));
                }
                record = record.interrupted(skip, record.attempts(), clock.instant()).with(JobRecord.Status.QUEUED, clock.instant());
            }
            job = new Job(record, () -> { });
            job.store = from;
            live.put(record.id(), job);
            (record.accepted() != null ? resumed : queued).add(job);
        }
        for (Job job : resumed) {
            JobRecord r = job.record();
            try (LogContext.Scope ignored = LogContext.open(logContext(r), LogContext.PROVIDER, r.accepted().provider())) {
                LOG.info("job {}: resuming {} job {} ({}; it is not created again)", r.id(),
                        LogText.escape(r.accepted().provider()), LogText.escape(r.accepted().jobId()), how);
            }
            run(job);
        }
        queued.forEach(this::run);
        if (!records.isEmpty()) {
            LOG.info("jobs {}: {} resumed by provider job id, {} queued again, {} with a pending callback", how,
                    resumed.size(), queued.size(), callbacksPending);
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

    /** The Redis store, with {@code REDIS_URI} set (for JobTakeover). */
    Optional<RedisJobStore> shared() {
        return shared;
    }

    /** Whether no job record may change any more (a shutdown's grace is over). */
    boolean frozen() {
        return frozen;
    }

    /**
     * Writes every Redis job this replica runs again, as it stands: its lease had lapsed (another replica
     * may have taken some over: those answer Lost and stop here) or Redis lost its data (they are
     * written back, ours again).
     *
     * @return how many
     */
    int writeBackShared() {
        int n = 0;
        for (Job job : live.values()) {
            if (shared.isPresent() && job.store == shared.get()) {
                job.writeBack();
                n++;
            }
        }
        return n;
    }

    /**
     * Runs again the Redis jobs whose call waited for Redis (it is back).
     *
     * @return how many
     */
    int unparkShared() {
        int n = 0;
        for (Job job : live.values()) {
            boolean again;
            synchronized (job) {
                if (!job.parked || !job.parkedWalkEnded) {
                    continue; // not parked, or its walk has not ended yet (the next round runs it)
                }
                again = !job.released && !frozen && !job.record.status().terminal();
                job.parked = false;
                job.parkedWalkEnded = false;
            }
            if (again) {
                run(job);
                n++;
            }
        }
        return n;
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
        if (job.released) {
            return; // another replica runs it now
        }
        if (cause != null && draining.active() && !job.cancelRequested
                && (cause instanceof WalkCancelledException || cause instanceof ShuttingDownException)) {
            // stopped by the shutdown before a new provider call: not a failure, it runs after the restart
            JobRecord r = job.record();
            LOG.info("job {} stays {} in the job store for the restart (the router is shutting down)", r.id(), r.status().wire());
            return;
        }
        if (cause instanceof WalkCancelledException && job.parked) {
            synchronized (job) {
                job.parkedWalkEnded = true; // waits for Redis off the queue: unparkShared() runs it again
            }
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
            shared.ifPresent(s -> s.done(record.id()));
        }
    }

    /** What a save of a Redis job answered, acted on: a job taken over stops here; a cancel elsewhere ends it here. */
    private void onSaved(Job job, JobStore.Saved saved) {
        if (saved instanceof JobStore.Saved.Lost lost) {
            release(job, lost.owner());
        } else if (saved instanceof JobStore.Saved.CancelledElsewhere c) {
            adoptCancel(job, c.stored());
        }
    }

    /**
     * Another replica owns the job now (this one's lease had expired and the job was taken over): it
     * stops here without changing its record; a walk waiting for permits stops, a call under way
     * finishes unrecorded (the new owner resumes an accepted job by its id).
     */
    private void release(Job job, String owner) {
        JobRecord r;
        synchronized (job) {
            if (job.released || frozen) {
                return;
            }
            job.released = true;
            r = job.record;
        }
        job.cancelled.complete(null);
        if (live.remove(r.id(), job) && !r.status().terminal()) {
            unfinished.decrementAndGet();
        }
        shared.ifPresent(s -> s.done(r.id()));
        try (LogContext.Scope ignored = LogContext.open(logContext(r))) {
            LOG.warn("job {} is run by replica {} now (this replica's lease on it had expired); it stops here",
                    r.id(), LogText.escape(owner));
        }
        // whoever streams its events here goes on hearing them through Redis (a read: off this thread)
        for (Consumer<JobEvent> s : job.subscribers) {
            job.subscribers.remove(s);
            if (relay.isPresent()) {
                storageIo.execute(() -> watchRemote(r, s, now -> {
                    if (now.status().terminal()) {
                        s.accept(new JobEvent(now.status().wire(), Map.of(), now));
                    }
                }));
            }
        }
    }

    /** A Redis job this replica runs was cancelled on another replica while queued: it ends cancelled here. */
    private void adoptCancel(Job job, JobRecord stored) {
        synchronized (job) {
            if (job.released || frozen || job.record.status().terminal()) {
                return;
            }
            job.cancelRequested = true;
            job.record = stored;
        }
        job.cancelled.complete(null);
        try (LogContext.Scope ignored = LogContext.open(logContext(stored))) {
            LOG.info("job {} was cancelled on another replica while queued; it is not run", stored.id());
        }
        ended(job, stored);
    }

    /** The id of a job cancelled on some replica (Redis pub/sub): if this replica runs it, it ends here. */
    private void onCancelledElsewhere(String id) {
        Job job = live.get(id);
        if (job == null || shared.isEmpty() || job.store != shared.get()) {
            return;
        }
        shared.get().loadAsync(id).thenAccept(r -> r.filter(j -> j.status() == JobRecord.Status.CANCELLED)
                .ifPresent(stored -> adoptCancel(job, stored)));
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
        /** Where its record is kept: the file store, or Redis. */
        volatile JobStore store = JobService.this.store;
        /** Another replica took it over: nothing here changes it any more. */
        volatile boolean released;
        /** Its next call waits for Redis (JobTakeover runs it again once Redis is back). */
        volatile boolean parked;
        /** The walk that parked has ended: the job may run again. */
        boolean parkedWalkEnded;
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

        private record Saved(JobRecord record, CompletableFuture<JobStore.Saved> saved) {
        }

        private synchronized Saved updateAndSave(UnaryOperator<JobRecord> change) {
            if (frozen || released) {
                return new Saved(record, CompletableFuture.completedFuture(JobStore.Saved.KEPT));
            }
            JobRecord next = change.apply(record);
            if (next == record) {
                return new Saved(record, CompletableFuture.completedFuture(JobStore.Saved.KEPT));
            }
            record = next;
            CompletableFuture<JobStore.Saved> saved = store.save(next);
            saved.thenAccept(outcome -> {
                if (outcome != JobStore.Saved.KEPT) {
                    onSaved(this, outcome);
                }
            });
            if (next.settled()) {
                saved.whenComplete((v, e) -> settle(this));
            }
            return new Saved(next, saved);
        }

        /** Writes the record as it stands again (Redis lost it, or this replica's lease had lapsed). */
        void writeBack() {
            JobRecord now;
            synchronized (this) {
                if (frozen || released) {
                    return;
                }
                now = record;
            }
            store.save(now).thenAccept(outcome -> onSaved(this, outcome));
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
                if (record.status() != JobRecord.Status.QUEUED || frozen || released) {
                    return false;
                }
                cancelRequested = true;
                saved = updateAndSave(r -> r.cancelled(clock.instant()));
            }
            cancelled.complete(null);
            ended(this, saved.record);
            return true;
        }

        /**
         * Tells the subscribers, under the job's lock: events keep their order whatever thread fires them.
         * A Redis job's events are relayed to the other replicas too.
         */
        synchronized void event(String name, Map<String, Object> data) {
            JobEvent event = new JobEvent(name, data, record);
            if (relay.isPresent() && shared.isPresent() && store == shared.get() && !released) {
                relay.get().publish(record, name, data, event.terminal());
            }
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
                if (cancelRequested || record.status().terminal() || draining.active() || released) {
                    return CompletableFuture.completedFuture(false); // cancelled, or no new call while shutting down
                }
                Instant now = clock.instant();
                saved = updateAndSave(r -> r.calling(provider, now));
            }
            event("attempt_started", Map.of("provider", provider));
            // the call goes out only once "calling <provider>" is kept (on disk, or acknowledged by Redis):
            // after a crash or a takeover it is known; a store that cannot write it means no call (the job
            // fails with storage_unavailable); a job taken over or cancelled elsewhere meanwhile is not called
            CompletableFuture<Boolean> decision = new CompletableFuture<>();
            // who decides: the save's answer, or park() when that answer is too long coming (never both)
            java.util.concurrent.atomic.AtomicBoolean decided = new java.util.concurrent.atomic.AtomicBoolean();
            saved.saved.handle((outcome, error) -> {
                if (error != null) {
                    recordFailure = error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
                    return false;
                }
                if (outcome != JobStore.Saved.KEPT) {
                    onSaved(this, outcome); // before the walk hears "no call": it must not take that for a failure
                    return false;
                }
                return !released && !cancelRequested && !draining.active();
            }).thenAccept(proceed -> {
                if (decided.compareAndSet(false, true)) {
                    decision.complete(proceed);
                }
            });
            if (!decision.isDone() && shared.isPresent() && store == shared.get()) {
                // Redis is down (or refuses writes): past a renewal period the job leaves the provider's queue,
                // so that the jobs this replica keeps in its file store meanwhile are not held up behind it
                long after = settings().leaseRenew().toMillis();
                scheduler.schedule(() -> park(provider, decided, decision), after, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            return decision;
        }

        /** Gives up a call whose record waits for Redis: the job waits off the queue and runs again once Redis is back. */
        private void park(String provider, java.util.concurrent.atomic.AtomicBoolean decided, CompletableFuture<Boolean> decision) {
            synchronized (this) {
                // only if "no call" wins over the save's own answer: a call already let go must stay recorded
                if (released || frozen || !decided.compareAndSet(false, true)) {
                    return;
                }
                parked = true;
                updateAndSave(r -> r.notCalling(clock.instant())); // supersedes "calling" while both wait
            }
            decision.complete(false); // outside the lock: the walk's end runs on this thread, and finds the job parked
            try (LogContext.Scope ignored = LogContext.open(logContext(record()), LogContext.PROVIDER, provider)) {
                LOG.info("job {}: its call to {} cannot be recorded in Redis (down, or refusing writes), where the other"
                        + " replicas read it; it waits off the provider's queue and runs again once Redis takes writes",
                        record().id(), LogText.escape(provider));
            }
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
