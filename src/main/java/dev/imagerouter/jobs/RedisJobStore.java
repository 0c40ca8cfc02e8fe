package dev.imagerouter.jobs;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.SharedOperation;
import dev.imagerouter.cluster.SharedStateUnavailableException;
import dev.imagerouter.vocabulary.LogText;
import io.lettuce.core.ScriptOutputType;
import io.micronaut.json.JsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

// Over 300 lines: the Lua scripts are the store's contract with Redis (who owns a job, what may be
// written over what) and read best beside the Java that calls them; the write slots are their client.

/*
 * The job store in Redis (REDIS_URI set): every replica reads every job; each runs the ones it owns.
 *
 * Keys (all under router.redis.key-prefix):
 *   job:<id>             hash: record (the JobRecord JSON), owner (a replica id), v (a version, +1 per
 *                        write), state (queued: cancellable; busy: a provider call was recorded; ended:
 *                        terminal), created (epoch ms). A settled job expires router.jobs.retention after
 *                        its last write (PEXPIRE); an unsettled one never expires.
 *   jobs:unfinished      sorted set (score: created) of the jobs not yet terminal: its size is what
 *                        router.jobs.max-queued limits, across all replicas.
 *   jobs:owned:<replica> sorted set (score: created) of the unsettled jobs a replica owns, oldest first.
 *   jobs:owners          set of the replicas that own (or owned) unsettled jobs: where takeover looks.
 *   jobs:epoch           a random value set once: another value than a replica saw before means Redis
 *                        restarted without its data (the replica then writes back every job it runs).
 *   jobs:lease:<replica> a replica's lease: set with a TTL (router.jobs.lease-ttl), renewed every
 *                        router.jobs.lease-renew by JobTakeover and by every write of the replica.
 *   batch:<id>           a batch record (JSON), expiring router.jobs.retention after it was written.
 *   channels jobs:events (progress events, JobEventRelay) and jobs:cancelled (a job id cancelled).
 *
 * Who may write what (each rule one Lua script, so it holds whatever replicas run at once):
 *   create   all of a batch or nothing, only while the unfinished jobs stay within max-queued;
 *   save     only the owner, and only over the version it last wrote (v). Another owner: Lost (the
 *            job was taken over: this replica stops it). Another version: someone else wrote, which
 *            only a cancel does: CancelledElsewhere (the caller adopts the cancelled record); a version
 *            written by this replica whose answer was lost (a timeout) is recognised and written over.
 *            A job whose key is gone (Redis restarted empty) is written back as this replica's;
 *   cancel   any replica, only while state is queued (no provider call was recorded: the owner writes
 *            "calling <provider>" through save, and the call goes out only once that is acknowledged, so
 *            Redis orders a cancel and a call: the cancel wins and the call never goes out, or the call
 *            wins and the cancel answers 409);
 *   claim    any replica, the jobs of a replica whose lease has expired, oldest first: one script moves
 *            them to the claimer, so exactly one replica gets each.
 *
 * Durability: a write is acknowledged once Redis has applied it in memory. What survives a crash of
 * Redis itself is what its persistence keeps: with AOF and appendfsync always, every acknowledged
 * write; with appendfsync everysec (Redis's default AOF policy), all but about the last second;
 * without AOF (RDB snapshots only, or none), everything since the last snapshot may be lost. A job
 * lost that way is answered 404; one its owner still runs is written back by it (see save); a
 * "calling <provider>" whose record was lost while its owner died cannot be known, so operators who
 * run paid jobs through Redis use AOF with everysec or always (README "Asynchronous jobs").
 *
 * Memory: a job's hash is about 2 KB (its record is JSON of the request, attempts and result; measured
 * in bench/RESULTS.md), kept router.jobs.retention after it settles. Redis must not evict keys without
 * a TTL (maxmemory-policy noeviction, or a volatile-* policy, which may drop settled jobs early).
 *
 * Redis down: a create or read fails at once (Cluster) and the caller falls back to the file store. A
 * save does not fail: the version waits here (the newest of each job, in memory) and is written when
 * Redis answers again (flush, called by JobTakeover), and its future completes only then, so a
 * provider call that waits for its "calling" record waits for Redis. Saves of one job are written one
 * at a time, in order; a version superseded while another was being written is never written on its own.
 * A create that timed out may still have reached Redis: its jobs then run from the file store, and their
 * copies in Redis are removed once Redis answers again (forget; only if still queued and this replica's).
 * Were this replica to die within that window, both copies would run: the window is one timeout
 * (router.redis.timeout) followed by Redis staying unreachable until the replica dies.
 */
/** Job and batch records shared by the replicas through Redis. Thread-safe. */
public final class RedisJobStore implements JobStore {

    private static final Logger LOG = LoggerFactory.getLogger(RedisJobStore.class);
    private static final SharedOperation OP = SharedOperation.JOBS;
    /** The most jobs one claim moves (a dead replica with more is claimed in several rounds). */
    static final int CLAIM_BATCH = 500;

    private static final Cluster.Script CREATE = new Cluster.Script("""
            local n = (#ARGV - 4) / 3
            if redis.call('ZCARD', KEYS[1]) + n > tonumber(ARGV[2]) then return 0 end
            redis.call('SET', KEYS[4], '1', 'PX', ARGV[3])
            redis.call('SADD', KEYS[3], ARGV[1])
            for i = 5, #ARGV, 3 do
              local id, created = ARGV[i], ARGV[i + 1]
              redis.call('HSET', ARGV[4] .. id, 'record', ARGV[i + 2], 'owner', ARGV[1], 'v', 1, 'state', 'queued', 'created', created)
              redis.call('ZADD', KEYS[1], created, id)
              redis.call('ZADD', KEYS[2], created, id)
            end
            return 1
            """);

    private static final Cluster.Script SAVE = new Cluster.Script("""
            local cur = redis.call('HMGET', KEYS[1], 'owner', 'v')
            local v = 0
            if cur[1] then
              if cur[1] ~= ARGV[1] then return {'lost', cur[1]} end
              v = tonumber(cur[2])
              if v ~= tonumber(ARGV[2]) then return {'changed', tostring(v), redis.call('HGET', KEYS[1], 'record')} end
            end
            v = v + 1
            redis.call('HSET', KEYS[1], 'record', ARGV[3], 'owner', ARGV[1], 'v', v, 'state', ARGV[4], 'created', ARGV[6])
            if ARGV[4] == 'ended' then redis.call('ZREM', KEYS[2], ARGV[8]) else redis.call('ZADD', KEYS[2], ARGV[6], ARGV[8]) end
            if ARGV[5] == '1' then
              redis.call('ZREM', KEYS[3], ARGV[8])
              redis.call('PEXPIRE', KEYS[1], ARGV[7])
            else
              redis.call('ZADD', KEYS[3], ARGV[6], ARGV[8])
              redis.call('SADD', KEYS[4], ARGV[1])
              redis.call('PERSIST', KEYS[1])
            end
            redis.call('SET', KEYS[5], '1', 'PX', ARGV[9])
            return {'ok', tostring(v)}
            """);

    private static final Cluster.Script CANCEL = new Cluster.Script("""
            local cur = redis.call('HMGET', KEYS[1], 'owner', 'v', 'state')
            if not cur[1] then return {'absent'} end
            if cur[3] ~= 'queued' then return {'not_queued'} end
            if cur[2] ~= ARGV[1] then return {'retry'} end
            redis.call('HSET', KEYS[1], 'record', ARGV[2], 'v', tonumber(cur[2]) + 1, 'state', 'ended')
            redis.call('ZREM', KEYS[2], ARGV[6])
            if ARGV[3] == '1' then
              redis.call('ZREM', ARGV[5] .. cur[1], ARGV[6])
              redis.call('PEXPIRE', KEYS[1], ARGV[4])
            end
            redis.call('PUBLISH', ARGV[7], ARGV[6])
            return {'cancelled', cur[1]}
            """);

    private static final Cluster.Script CLAIM = new Cluster.Script("""
            if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
            local ids = redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')
            local claimed = {}
            for i = 1, #ids, 2 do
              local id, created = ids[i], ids[i + 1]
              local key = ARGV[4] .. id
              if redis.call('HGET', key, 'owner') == ARGV[1] then
                redis.call('HSET', key, 'owner', ARGV[2])
                redis.call('ZADD', KEYS[3], created, id)
                claimed[#claimed + 1] = id
              end
              redis.call('ZREM', KEYS[2], id)
            end
            if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[4], ARGV[1]) end
            if #claimed > 0 then
              redis.call('SADD', KEYS[4], ARGV[2])
              redis.call('SET', KEYS[5], '1', 'PX', ARGV[5])
            end
            return claimed
            """);

    private static final Cluster.Script RENEW = new Cluster.Script("""
            local existed = redis.call('EXISTS', KEYS[1])
            redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
            local epoch = redis.call('GET', KEYS[2])
            if not epoch then
              epoch = ARGV[2]
              redis.call('SET', KEYS[2], epoch)
            end
            return {existed, epoch}
            """);

    private static final Cluster.Script FORGET = new Cluster.Script("""
            local cur = redis.call('HMGET', KEYS[1], 'owner', 'state', 'v')
            if cur[1] == ARGV[1] and cur[2] == 'queued' and cur[3] == '1' then
              redis.call('DEL', KEYS[1])
              redis.call('ZREM', KEYS[2], ARGV[2])
              redis.call('ZREM', KEYS[3], ARGV[2])
              return 1
            end
            return 0
            """);

    /** A job taken over from another replica: its record and the replica it came from. */
    public record Claimed(String from, List<JobRecord> jobs) {
    }

    /** What a cancel found. */
    public enum CancelOutcome { CANCELLED, NOT_QUEUED, NOT_FOUND }

    /** A cancel's outcome and the job as it is kept afterwards (empty when not found). */
    public record Cancel(CancelOutcome outcome, Optional<JobRecord> job) {
    }

    private final Cluster cluster;
    private final JsonMapper json;
    private final Supplier<Duration> retention;
    private final Duration leaseTtl;
    private final Instant started;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    /** Jobs whose create failed after it may have reached Redis (a timeout): removed there once it answers. */
    private final Set<String> forget = ConcurrentHashMap.newKeySet();

    /**
     * @param retention how long a settled job and a batch are kept ({@code router.jobs.retention}, read at each write)
     * @param leaseTtl  how long this replica's lease outlives its last renewal ({@code router.jobs.lease-ttl})
     * @param started   when this process started: jobs its replica id owned before are recovered at startup
     */
    public RedisJobStore(Cluster cluster, JsonMapper json, Supplier<Duration> retention, Duration leaseTtl, Instant started) {
        this.cluster = cluster;
        this.json = json;
        this.retention = retention;
        this.leaseTtl = leaseTtl;
        this.started = started;
    }

    /** This replica's id, the owner of the jobs it creates. */
    public String replicaId() {
        return cluster.replicaId();
    }

    private String key(String name) {
        return cluster.key(name);
    }

    private String jobKey(String id) {
        return key("job:" + id);
    }

    private String owned(String replica) {
        return key("jobs:owned:" + replica);
    }

    private String lease(String replica) {
        return key("jobs:lease:" + replica);
    }

    /** The channel a cancelled job's id is published on. */
    public String cancelledChannel() {
        return key("jobs:cancelled");
    }

    /** The channel job progress events are published on ({@link JobEventRelay}). */
    public String eventsChannel() {
        return key("jobs:events");
    }

    private static String state(JobRecord job) {
        return job.status().terminal() ? "ended" : job.status() == JobRecord.Status.QUEUED ? "queued" : "busy";
    }

    /** Fails with {@link SharedStateUnavailableException} when Redis is down (the caller falls back). */
    @Override
    public CompletableFuture<Void> create(List<JobRecord> jobs, int maxUnfinished) {
        List<String> args = new ArrayList<>(List.of(replicaId(), Integer.toString(maxUnfinished),
                Long.toString(leaseTtl.toMillis()), key("job:")));
        try {
            for (JobRecord job : jobs) {
                args.add(job.id());
                args.add(Long.toString(job.created().toEpochMilli()));
                args.add(json.writeValueAsString(job));
            }
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot write job " + jobs.get(0).id(), e));
        }
        return cluster.<Long>script(OP, CREATE, ScriptOutputType.INTEGER,
                List.of(key("jobs:unfinished"), owned(replicaId()), key("jobs:owners"), lease(replicaId())),
                args.toArray(String[]::new)).handle((created, error) -> {
                    if (error != null) {
                        // a timeout may have left them in Redis: removed once it answers (they run from the file store)
                        jobs.forEach(j -> forget.add(j.id()));
                        throw error instanceof CompletionException c ? c : new CompletionException(error);
                    }
                    if (created == 0) {
                        throw new JobsFullException("There are " + maxUnfinished + " unfinished jobs across the replicas"
                                + " (router.jobs.max-queued); retry once some have finished.");
                    }
                    jobs.forEach(j -> slots.put(j.id(), new Slot(j.id(), 1)));
                    return null;
                });
    }

    /**
     * Writes a version of a job this replica owns. Never fails because Redis is down: the version
     * waits (coalesced with later ones) and the future completes when Redis has it.
     */
    @Override
    public CompletableFuture<Saved> save(JobRecord job) {
        CompletableFuture<Saved> result = new CompletableFuture<>();
        Slot slot = slots.computeIfAbsent(job.id(), id -> new Slot(id, 0));
        boolean start;
        synchronized (slot) {
            slot.newest = job;
            slot.waiting.add(result);
            start = !slot.writing && !slot.stalled;
            if (start) {
                slot.writing = true;
            }
        }
        if (start) {
            write(slot);
        }
        return result;
    }

    /** One job's writes: one at a time, the newest version, each future completed once decided. */
    private final class Slot {
        final String id;
        long version;
        JobRecord newest;
        List<CompletableFuture<Saved>> waiting = new ArrayList<>();
        boolean writing;
        /** A write failed because Redis is down: {@link #flush} writes again. */
        boolean stalled;
        /** Set once the job is lost, or cancelled elsewhere: decides later saves without writing. */
        Saved decided;

        Slot(String id, long version) {
            this.id = id;
            this.version = version;
        }
    }

    private void write(Slot slot) {
        JobRecord record;
        List<CompletableFuture<Saved>> waiters;
        long expected;
        synchronized (slot) {
            record = slot.newest;
            waiters = slot.waiting;
            slot.newest = null;
            slot.waiting = new ArrayList<>();
            expected = slot.version;
            if (record == null) {
                slot.writing = false;
                return;
            }
            if (slot.decided instanceof Saved.Lost
                    || (slot.decided instanceof Saved.CancelledElsewhere && record.status() != JobRecord.Status.CANCELLED)) {
                Saved decided = slot.decided;
                slot.writing = false;
                waiters.forEach(w -> w.complete(decided));
                return;
            }
        }
        String body;
        try {
            body = json.writeValueAsString(record);
        } catch (IOException e) {
            synchronized (slot) {
                slot.writing = false;
            }
            waiters.forEach(w -> w.completeExceptionally(new UncheckedIOException("cannot write job " + record.id(), e)));
            return;
        }
        boolean settled = record.settled();
        cluster.<List<Object>>script(OP, SAVE, ScriptOutputType.MULTI,
                List.of(jobKey(record.id()), key("jobs:unfinished"), owned(replicaId()), key("jobs:owners"), lease(replicaId())),
                replicaId(), Long.toString(expected), body, state(record), settled ? "1" : "0",
                Long.toString(record.created().toEpochMilli()), Long.toString(retention.get().toMillis()), record.id(),
                Long.toString(leaseTtl.toMillis()))
                .whenComplete((reply, error) -> {
                    if (error != null) {
                        synchronized (slot) {
                            if (slot.newest == null) {
                                slot.newest = record;
                            }
                            waiters.addAll(slot.waiting);
                            slot.waiting = waiters;
                            slot.writing = false;
                            slot.stalled = true;
                        }
                        return;
                    }
                    String outcome = String.valueOf(reply.get(0));
                    switch (outcome) {
                        case "ok" -> {
                            synchronized (slot) {
                                slot.version = Long.parseLong(String.valueOf(reply.get(1)));
                            }
                            waiters.forEach(w -> w.complete(Saved.KEPT));
                        }
                        case "lost" -> {
                            Saved lost = new Saved.Lost(String.valueOf(reply.get(1)));
                            synchronized (slot) {
                                slot.decided = lost;
                            }
                            waiters.forEach(w -> w.complete(lost));
                        }
                        default -> { // changed
                            JobRecord stored = parse(String.valueOf(reply.get(2)));
                            synchronized (slot) {
                                slot.version = Long.parseLong(String.valueOf(reply.get(1)));
                                if (stored != null && stored.status() == JobRecord.Status.CANCELLED
                                        && record.status() != JobRecord.Status.CANCELLED) {
                                    slot.decided = new Saved.CancelledElsewhere(stored);
                                    Saved cancelled = slot.decided;
                                    waiters.forEach(w -> w.complete(cancelled));
                                } else {
                                    // our own earlier write whose answer was lost, or the owner already adopted the
                                    // cancel: write this version over it
                                    if (slot.newest == null) {
                                        slot.newest = record;
                                    }
                                    waiters.addAll(slot.waiting);
                                    slot.waiting = waiters;
                                }
                            }
                        }
                    }
                    next(slot, settled && "ok".equals(outcome));
                });
    }

    /** After a write: the next waiting version, or the slot's end (a settled job needs it no more). */
    private void next(Slot slot, boolean settledKept) {
        boolean more;
        synchronized (slot) {
            more = slot.newest != null;
            if (!more) {
                slot.writing = false;
                if (settledKept || slot.decided instanceof Saved.Lost) {
                    slots.remove(slot.id, slot);
                }
            }
        }
        if (more) {
            write(slot);
        }
    }

    /**
     * Writes the versions that wait because Redis was down, and removes the jobs whose create may
     * have reached Redis though it failed. Cheap when nothing waits; call it when Redis is up.
     */
    public void flush() {
        if (!cluster.up()) {
            return;
        }
        for (Slot slot : slots.values()) {
            boolean start = false;
            synchronized (slot) {
                if (slot.stalled && !slot.writing) {
                    slot.stalled = false;
                    slot.writing = true;
                    start = true;
                }
            }
            if (start) {
                write(slot);
            }
        }
        for (String id : List.copyOf(forget)) {
            cluster.<Long>script(OP, FORGET, ScriptOutputType.INTEGER,
                    List.of(jobKey(id), key("jobs:unfinished"), owned(replicaId())), replicaId(), id)
                    .thenAccept(removed -> forget.remove(id));
        }
    }

    /** How many job versions wait for Redis now (0 while it is up and keeping pace). */
    public int waiting() {
        int n = 0;
        for (Slot slot : slots.values()) {
            synchronized (slot) {
                n += slot.stalled ? 1 : 0;
            }
        }
        return n;
    }

    /** This replica no longer runs job {@code id} (settled, or lost): its write state is dropped once idle. */
    public void done(String id) {
        Slot slot = slots.get(id);
        if (slot != null) {
            synchronized (slot) {
                if (!slot.writing && slot.newest == null && !slot.stalled) {
                    slots.remove(id, slot);
                }
            }
        }
    }

    @Override
    public CompletableFuture<Void> saveBatch(BatchRecord batch) {
        String body;
        try {
            body = json.writeValueAsString(batch);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot write batch " + batch.id(), e));
        }
        return cluster.call(OP, redis -> redis.psetex(key("batch:" + batch.id()), retention.get().toMillis(), body))
                .thenApply(ok -> null);
    }

    /** @throws SharedStateUnavailableException (in a {@link CompletionException}) when Redis is down */
    @Override
    public Optional<JobRecord> load(String id) {
        return loadAsync(id).join();
    }

    /** As {@link #load}, without blocking. */
    public CompletableFuture<Optional<JobRecord>> loadAsync(String id) {
        if (!ID.matcher(id).matches()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return cluster.call(OP, redis -> redis.hget(jobKey(id), "record")).thenApply(s -> Optional.ofNullable(parse(s)));
    }

    /** @throws SharedStateUnavailableException (in a {@link CompletionException}) when Redis is down */
    @Override
    public Optional<BatchRecord> loadBatch(String id) {
        if (!ID.matcher(id).matches()) {
            return Optional.empty();
        }
        String s = cluster.call(OP, redis -> redis.get(key("batch:" + id))).join();
        return Optional.ofNullable(s == null ? null : read(s, BatchRecord.class));
    }

    /**
     * The unsettled jobs this replica id owned before this process started (a replica restarted with
     * the same {@code router.replica-id}), oldest first; empty when Redis is down. Blocking.
     */
    @Override
    public List<JobRecord> loadActive() {
        if (!cluster.up()) {
            return List.of();
        }
        List<String> ids = cluster.call(OP, redis -> redis.zrangebyscore(owned(replicaId()),
                io.lettuce.core.Range.create(0, (double) started.toEpochMilli() - 1))).join();
        return loadOwned(ids);
    }

    private List<JobRecord> loadOwned(List<String> ids) {
        List<JobRecord> jobs = new ArrayList<>();
        for (String id : ids) {
            List<io.lettuce.core.KeyValue<String, String>> fields = cluster.call(OP, redis -> redis.hmget(jobKey(id), "record", "v",
                    "owner")).join();
            String owner = fields.get(2).getValueOrElse(null);
            JobRecord record = parse(fields.get(0).getValueOrElse(null));
            if (record == null || !replicaId().equals(owner)) {
                continue;
            }
            slots.putIfAbsent(id, new Slot(id, Long.parseLong(fields.get(1).getValueOrElse("0"))));
            jobs.add(record);
        }
        jobs.sort(Comparator.comparing(JobRecord::created));
        return jobs;
    }

    /** The unfinished jobs of all replicas. */
    @Override
    public int unfinished() {
        return cluster.call(OP, redis -> redis.zcard(key("jobs:unfinished"))).join().intValue();
    }

    /** Nothing to delete: Redis expires settled jobs and batches by itself. */
    @Override
    public int sweep(Instant oldest) {
        return 0;
    }

    /**
     * What a lease renewal found.
     *
     * @param existed whether the lease still existed (false after the first renewal: it had expired, so
     *                other replicas may have taken this one's jobs over; or Redis lost it)
     * @param epoch   the data's epoch: a random value Redis keeps from the first renewal on; another one
     *                than before means Redis lost its data (restarted without persistence)
     */
    public record Renewal(boolean existed, String epoch) {
    }

    /** Renews this replica's lease (and reads the data's epoch). */
    public CompletableFuture<Renewal> renewLease() {
        String candidate = JobService.newId("job").substring(4);
        return cluster.<List<Object>>script(OP, RENEW, ScriptOutputType.MULTI, List.of(lease(replicaId()), key("jobs:epoch")),
                Long.toString(leaseTtl.toMillis()), candidate)
                .thenApply(reply -> new Renewal(((Number) reply.get(0)).longValue() == 1, String.valueOf(reply.get(1))));
    }

    /** Gives the lease up (a shutdown): the other replicas take the jobs left here over at their next look. */
    public CompletableFuture<Long> releaseLease() {
        return cluster.call(OP, redis -> redis.del(lease(replicaId())));
    }

    /**
     * Takes over the unsettled jobs of every replica whose lease has expired: one claim per such
     * replica (atomic: exactly one live replica gets each job), at most {@value #CLAIM_BATCH} jobs at a
     * time. Blocking.
     *
     * @return what was claimed, per replica, each list oldest first
     */
    public List<Claimed> claimOrphans() {
        Set<String> owners = cluster.call(OP, redis -> redis.smembers(key("jobs:owners"))).join();
        List<Claimed> claimed = new ArrayList<>();
        for (String owner : owners) {
            if (owner.equals(replicaId())) {
                continue;
            }
            List<Object> ids = cluster.<List<Object>>script(OP, CLAIM, ScriptOutputType.MULTI,
                    List.of(lease(owner), owned(owner), owned(replicaId()), key("jobs:owners"), lease(replicaId())),
                    owner, replicaId(), Integer.toString(CLAIM_BATCH), key("job:"), Long.toString(leaseTtl.toMillis())).join();
            if (!ids.isEmpty()) {
                claimed.add(new Claimed(owner, loadOwned(ids.stream().map(String::valueOf).toList())));
            }
        }
        return claimed;
    }

    /**
     * Cancels a queued job of {@code client}, whichever replica owns it (see the class comment). The
     * owner hears it on {@link #cancelledChannel()} and before its next write. Blocking.
     *
     * @throws SharedStateUnavailableException (in a {@link CompletionException}) when Redis is down
     */
    public Cancel cancel(String id, String client, Instant now) {
        if (!ID.matcher(id).matches()) {
            return new Cancel(CancelOutcome.NOT_FOUND, Optional.empty());
        }
        for (int tries = 0; tries < 5; tries++) {
            List<io.lettuce.core.KeyValue<String, String>> fields = cluster.call(OP, redis -> redis.hmget(jobKey(id), "record",
                    "v")).join();
            JobRecord record = parse(fields.get(0).getValueOrElse(null));
            if (record == null || !record.client().equals(client)) {
                return new Cancel(CancelOutcome.NOT_FOUND, Optional.empty());
            }
            if (record.status() != JobRecord.Status.QUEUED) {
                return new Cancel(CancelOutcome.NOT_QUEUED, Optional.of(record));
            }
            JobRecord cancelled = record.cancelled(now);
            String body;
            try {
                body = json.writeValueAsString(cancelled);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<Object> reply = cluster.<List<Object>>script(OP, CANCEL, ScriptOutputType.MULTI,
                    List.of(jobKey(id), key("jobs:unfinished")), fields.get(1).getValueOrElse("0"), body,
                    cancelled.settled() ? "1" : "0", Long.toString(retention.get().toMillis()), key("jobs:owned:"), id,
                    cancelledChannel()).join();
            switch (String.valueOf(reply.get(0))) {
                case "cancelled" -> {
                    return new Cancel(CancelOutcome.CANCELLED, Optional.of(cancelled));
                }
                case "absent" -> {
                    return new Cancel(CancelOutcome.NOT_FOUND, Optional.empty());
                }
                case "not_queued" -> {
                    return new Cancel(CancelOutcome.NOT_QUEUED, load(id));
                }
                default -> {
                    // written meanwhile (its owner recorded an attempt): read it again
                }
            }
        }
        return new Cancel(CancelOutcome.NOT_QUEUED, load(id));
    }

    private JobRecord parse(String s) {
        return s == null ? null : read(s, JobRecord.class);
    }

    private <T> T read(String s, Class<T> type) {
        try {
            return json.readValue(s, type);
        } catch (IOException | RuntimeException e) {
            LOG.error("a job store record in Redis cannot be read ({}); it is ignored", LogText.escape(e));
            return null;
        }
    }

    /** Nothing to close: the connection is the cluster's. Versions still waiting for Redis are given up (logged). */
    @Override
    public void close() {
        int waiting = waiting();
        if (waiting > 0) {
            LOG.warn("job store: {} job version(s) were still waiting for Redis at shutdown; those jobs are taken over by"
                    + " another replica from the version Redis has", waiting);
        }
    }
}
