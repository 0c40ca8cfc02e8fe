package dev.imagerouter.cache;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.Leases;
import dev.imagerouter.cluster.SharedOperation;
import dev.imagerouter.storage.ImageStore;
import io.lettuce.core.ScriptOutputType;
import io.micronaut.json.JsonMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/*
 * Single flight across replicas, and the result index by request hash (REDIS_URI set).
 *
 * ResultCache keeps single flight inside one replica (Caffeine) and reads the store's per-hash
 * record; this class is the step after both missed, so a hit in memory never costs a Redis round
 * trip. One script (ACQUIRE) answers, atomically, one of:
 *   result  <prefix>result:<hash> holds the record of a finished generation (its JSON, kept until the
 *           record's created time plus router.cache.ttl): answered from it, no provider call;
 *   owner   nobody generates this hash: this replica took the flight lease <prefix>flight:<hash>
 *           (SET NX PX, "<replica id>:<random>", renewed by Leases while the generation runs) and
 *           generates; when it ends, FINISH writes the result index (on success), deletes the lease
 *           and publishes the hash on <prefix>flights;
 *   wait    another replica holds the lease: this one waits, asking ACQUIRE again when the hash is
 *           published and by polling (50 ms doubling to 1 s: a missed message costs at most a second),
 *           for at most router.redis.flight-wait. When the owner failed or died (it deleted its lease,
 *           or the lease expired router.redis.lease-ttl after its last renewal), the first waiter's
 *           ACQUIRE takes the lease and generates (a takeover, logged): a dead replica's generation is
 *           retried once, by one replica, whoever else waits. Past flight-wait a waiter generates on
 *           its own.
 * The waiter answers from the JSON in Redis, not from the store's record file, which the owner
 * writes just after its answer went out: no race between the notification and that write. The
 * images themselves must be in a store every replica reads (a shared router.storage.dir, or S3): a
 * record whose images this replica cannot see is not used (WARN) and this replica generates.
 *
 * Redis down, slow or failing: the step is skipped (counted in image_router_redis_fallbacks_total
 * {operation="single_flight"}) and the replica generates on its own, as one node does; a waiter whose
 * Redis goes away generates too. Lua scripts through Lettuce rather than a library lock: the lease,
 * the result index and the notification must change together, in one round trip.
 */
/** Single flight by request hash across replicas, through Redis. Thread-safe. */
public final class SharedFlights {

    private static final Logger LOG = LoggerFactory.getLogger(SharedFlights.class);
    private static final long FIRST_POLL_MILLIS = 50;
    private static final long MAX_POLL_MILLIS = 1_000;

    /** KEYS: result, flight; ARGV: token, lease ttl ms. Returns {'result', json} | {'owner'} | {'wait', holder}. */
    private static final Cluster.Script ACQUIRE = new Cluster.Script("""
            local r = redis.call('GET', KEYS[1])
            if r then return {'result', r} end
            if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'owner'} end
            return {'wait', redis.call('GET', KEYS[2]) or ''}
            """);
    /** KEYS: result, flight; ARGV: token, json ('' on failure), result ttl ms, channel, hash. */
    private static final Cluster.Script FINISH = new Cluster.Script("""
            if ARGV[2] ~= '' and tonumber(ARGV[3]) > 0 then
              redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            end
            if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
            redis.call('PUBLISH', ARGV[4], ARGV[5])
            return 1
            """);

    /** No Redis: every call generates at once, as one node does. */
    public static final SharedFlights NONE = new SharedFlights();

    private final Cluster cluster;
    private final Leases leases;
    private final JsonMapper json;
    private final ImageStore store;
    private final Duration resultTtl;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final String channel;
    private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();

    private SharedFlights() {
        this.cluster = null;
        this.leases = null;
        this.json = null;
        this.store = null;
        this.resultTtl = null;
        this.clock = null;
        this.scheduler = null;
        this.channel = null;
    }

    /**
     * @param resultTtl how long a result is served after its generation ({@code router.cache.ttl})
     * @param store     where the images are (checked before a result from another replica is used)
     * @param scheduler polls of waiting requests
     */
    public SharedFlights(Cluster cluster, Leases leases, JsonMapper json, ImageStore store, Duration resultTtl, Clock clock,
                         ScheduledExecutorService scheduler) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.leases = Objects.requireNonNull(leases, "leases");
        this.json = Objects.requireNonNull(json, "json");
        this.store = Objects.requireNonNull(store, "store");
        this.resultTtl = Objects.requireNonNull(resultTtl, "resultTtl");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.channel = cluster.key("flights");
        cluster.subscribe(channel, hash -> {
            Waiter w = waiters.get(hash);
            if (w != null) {
                w.poke();
            }
        });
    }

    /**
     * The generation of {@code hash}: another replica's (finished, or awaited in flight), or the one
     * {@code generate} starts here when no replica has it, when its owner failed or died, when Redis
     * cannot be asked, or after {@code router.redis.flight-wait}.
     *
     * @param generate starts a generation that stores its images (and record) before completing;
     *                 called at most once, and only when this replica is to generate
     */
    public CompletableFuture<CachedGeneration> produce(String hash, Supplier<CompletableFuture<CachedGeneration>> generate) {
        if (cluster == null || !cluster.use(SharedOperation.SINGLE_FLIGHT)) {
            return generate.get();
        }
        CompletableFuture<CachedGeneration> answer = new CompletableFuture<>();
        long deadline = System.nanoTime() + cluster.settings().flightWait().toNanos();
        new Waiter(hash, generate, answer, deadline).attempt();
        return answer;
    }

    /**
     * Writes {@code generation} as the result of its hash in the index (a no-cache generation that
     * replaced the entry), so replicas that miss in memory get the newest. Best effort.
     */
    public void publish(CachedGeneration generation) {
        if (cluster == null || !cluster.up()) {
            return;
        }
        String hash = generation.record().requestHash();
        finish(hash, "", Optional.of(generation));
    }

    private CompletableFuture<Void> finish(String hash, String token, Optional<CachedGeneration> generation) {
        String body = "";
        long ttl = 0;
        if (generation.isPresent()) {
            ImageStore.GenerationRecord record = generation.get().record();
            ttl = Duration.between(clock.instant(), record.created().plus(resultTtl)).toMillis();
            try {
                body = new String(json.writeValueAsBytes(record), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                LOG.warn("generation record of request hash {} not written to the shared result index: {}", hash, e.toString());
            }
        }
        return cluster.script(SharedOperation.SINGLE_FLIGHT, FINISH, ScriptOutputType.INTEGER,
                        List.of(cluster.key("result:" + hash), cluster.key("flight:" + hash)),
                        token, body, Long.toString(Math.max(0, ttl)), channel, hash)
                .handle((v, e) -> null);
    }

    private Optional<CachedGeneration> parse(String hash, String body) {
        try {
            ImageStore.GenerationRecord record = json.readValue(body.getBytes(StandardCharsets.UTF_8), ImageStore.GenerationRecord.class);
            if (record == null || !hash.equals(record.requestHash())) {
                return Optional.empty();
            }
            if (!store.hasImages(record)) {
                LOG.warn("the shared result of request hash {} names images this replica's store does not have: replicas "
                        + "sharing Redis must share the image store (router.storage.dir on a shared volume, or S3); generating here", hash);
                return Optional.empty();
            }
            return Optional.of(new CachedGeneration(record, List.of()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("unreadable shared result of request hash {}: {}", hash, e.toString());
            return Optional.empty();
        }
    }

    /** One request hash this replica needs: asks ACQUIRE until it has a result or generates. */
    private final class Waiter {
        private final String hash;
        private final Supplier<CompletableFuture<CachedGeneration>> generate;
        private final CompletableFuture<CachedGeneration> answer;
        private final long deadline;
        private long delay = FIRST_POLL_MILLIS;
        private boolean running;
        private boolean pokedWhileRunning;
        private boolean waited;
        /** Answered, or generating here: nothing more is asked. */
        private boolean settled;
        private ScheduledFuture<?> next;

        Waiter(String hash, Supplier<CompletableFuture<CachedGeneration>> generate, CompletableFuture<CachedGeneration> answer,
               long deadline) {
            this.hash = hash;
            this.generate = generate;
            this.answer = answer;
            this.deadline = deadline;
        }

        /** A message named the hash: ask at once (or right after the attempt under way). */
        synchronized void poke() {
            if (settled || answer.isDone()) {
                return;
            }
            if (running) {
                pokedWhileRunning = true;
                return;
            }
            if (next != null) {
                next.cancel(false);
                next = null;
            }
            attempt();
        }

        synchronized void attempt() {
            running = true;
            String token = leases.newToken();
            cluster.<List<Object>>script(SharedOperation.SINGLE_FLIGHT, ACQUIRE, ScriptOutputType.MULTI,
                            List.of(cluster.key("result:" + hash), cluster.key("flight:" + hash)), token,
                            Long.toString(leases.ttlMillis()))
                    .whenComplete((reply, error) -> answered(reply, error, token));
        }

        private void answered(List<Object> reply, Throwable error, String token) {
            if (error != null) {
                end(); // Redis went away: counted; this replica generates on its own
                generateHere(null);
                return;
            }
            String kind = String.valueOf(reply.get(0));
            if ("result".equals(kind)) {
                Optional<CachedGeneration> found = parse(hash, String.valueOf(reply.get(1)));
                if (found.isPresent()) {
                    end();
                    answer.complete(found.get());
                    return;
                }
                end();
                generateHere(null);
                return;
            }
            if ("owner".equals(kind)) {
                end();
                Leases.Lease lease = leases.adopt(SharedOperation.SINGLE_FLIGHT, cluster.key("flight:" + hash), token, false);
                if (waited) {
                    LOG.info("took over the generation of request hash {}: the replica that had it failed or stopped renewing its lease", hash);
                }
                generateHere(lease);
                return;
            }
            synchronized (this) {
                waited = true;
                waiters.putIfAbsent(hash, this);
                running = false;
                if (System.nanoTime() >= deadline) {
                    LOG.info("waited router.redis.flight-wait for request hash {} generated by {}; generating here", hash,
                            reply.size() > 1 ? String.valueOf(reply.get(1)).replaceFirst(":[0-9a-f]+$", "") : "another replica");
                    end();
                    generateHere(null);
                    return;
                }
                if (pokedWhileRunning) {
                    pokedWhileRunning = false;
                    attempt();
                    return;
                }
                long wait = Math.min(delay, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                delay = Math.min(delay * 2, MAX_POLL_MILLIS);
                next = scheduler.schedule(this::poke, wait, TimeUnit.MILLISECONDS);
            }
        }

        private synchronized void end() {
            settled = true;
            running = false;
            waiters.remove(hash, this);
            if (next != null) {
                next.cancel(false);
                next = null;
            }
        }

        /** Generates on this replica; with a lease, the result index is written and the waiters told when it ends. */
        private void generateHere(Leases.Lease lease) {
            CompletableFuture<CachedGeneration> started;
            try {
                started = generate.get();
            } catch (RuntimeException e) {
                started = CompletableFuture.failedFuture(e);
            }
            if (lease != null) {
                started.whenComplete((generation, failure) -> {
                    lease.forget(); // FINISH deletes it if it is still ours
                    finish(hash, lease.token(), Optional.ofNullable(failure == null ? generation : null));
                });
            }
            started.whenComplete((generation, failure) -> {
                if (failure == null) {
                    answer.complete(generation);
                } else {
                    answer.completeExceptionally(failure);
                }
            });
        }
    }
}
