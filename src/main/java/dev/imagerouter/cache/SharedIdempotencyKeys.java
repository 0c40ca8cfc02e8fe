package dev.imagerouter.cache;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.SharedOperation;
import io.lettuce.core.ScriptOutputType;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/*
 * Idempotency-Keys shared by replicas (REDIS_URI set): a client's retry with the same key may reach
 * another replica and must still get the first request's result, never a second paid generation.
 *
 *   <prefix>idem:<client>:<key>      "<request hash>|pending" while the first request's generation
 *                                     runs, "<request hash>|done" once it succeeded; expires
 *                                     router.cache.ttl after the first request (as IdempotencyKeys)
 *   <prefix>idem-index:<client>      sorted set of the client's keys by first use: past
 *                                     router.cache.idempotency-keys-per-client the oldest are dropped,
 *                                     that client's own only (IdempotencyKeys drops its least used)
 *
 * bind() answers, in one script: NEW (the key is this request's: generate, then done() or forget()
 * on failure, so a retry after a failure generates again), REUSED (bound to another request hash:
 * 422), or REPLAY (the same request: its result is the hash's cached one, which the first request's
 * generation put in the shared result index; a replay that finds the first still pending waits for it,
 * polling 50 ms doubling to 1 s, up to router.redis.flight-wait). Redis down: UNAVAILABLE, and the
 * replica's own IdempotencyKeys decides (counted in image_router_redis_fallbacks_total
 * {operation="idempotency_keys"}).
 */
/** Idempotency-Key bindings in Redis, shared by replicas. Thread-safe. */
public final class SharedIdempotencyKeys {

    /** What a key means for this request. */
    public enum Binding {
        /** First use: this request generates. */
        NEW,
        /** The same request was made with this key and succeeded: answer with the hash's cached result. */
        REPLAY,
        /** The key belongs to another request hash. */
        REUSED,
        /** Redis could not be asked: the replica's own keys decide. */
        UNAVAILABLE
    }

    private static final long FIRST_POLL_MILLIS = 50;
    private static final long MAX_POLL_MILLIS = 1_000;

    /** KEYS: binding, index; ARGV: hash, ttl ms, max keys, binding key prefix of the client, key. */
    private static final Cluster.Script BIND = new Cluster.Script("""
            local v = redis.call('GET', KEYS[1])
            if v then return {'bound', v} end
            redis.call('SET', KEYS[1], ARGV[1] .. '|pending', 'PX', ARGV[2])
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZADD', KEYS[2], now, ARGV[5])
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
            local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
            if excess > 0 then
              for _, k in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess - 1)) do redis.call('DEL', ARGV[4] .. k) end
              redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
            end
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            return {'new'}
            """);
    /** KEYS: binding; ARGV: from, to ('' deletes). Changes the binding only if it is still {@code from}. */
    private static final Cluster.Script SETTLE = new Cluster.Script("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
            redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
            return 1
            """);

    /** No Redis: every bind is {@link Binding#UNAVAILABLE} without a round trip or a counted fallback. */
    public static final SharedIdempotencyKeys NONE = new SharedIdempotencyKeys();

    private final Cluster cluster;
    private final ScheduledExecutorService scheduler;
    private final Duration ttl;
    private final long maxKeysPerClient;

    private SharedIdempotencyKeys() {
        this.cluster = null;
        this.scheduler = null;
        this.ttl = null;
        this.maxKeysPerClient = 0;
    }

    /**
     * @param ttl              how long a key is remembered ({@code router.cache.ttl})
     * @param maxKeysPerClient {@code router.cache.idempotency-keys-per-client}
     * @param scheduler        polls of a replay waiting for the first request
     */
    public SharedIdempotencyKeys(Cluster cluster, ScheduledExecutorService scheduler, Duration ttl, long maxKeysPerClient) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.maxKeysPerClient = maxKeysPerClient;
    }

    /** Whether the keys are shared now (Redis up); counts a fallback when Redis is configured but down. */
    public boolean use() {
        return cluster != null && cluster.use(SharedOperation.IDEMPOTENCY_KEYS);
    }

    /**
     * Binds {@code key} of {@code client} to {@code requestHash}, or tells what it is bound to; a
     * replay of a request still running elsewhere completes once that request succeeded (or, if it
     * failed, binds afresh: {@link Binding#NEW}).
     *
     * @return never fails
     */
    public CompletableFuture<Binding> bind(String client, String key, String requestHash) {
        CompletableFuture<Binding> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + cluster.settings().flightWait().toNanos();
        attempt(client, key, requestHash, result, deadline, FIRST_POLL_MILLIS);
        return result;
    }

    private void attempt(String client, String key, String hash, CompletableFuture<Binding> result, long deadline, long delay) {
        cluster.<List<Object>>script(SharedOperation.IDEMPOTENCY_KEYS, BIND, ScriptOutputType.MULTI,
                        List.of(bindingKey(client, key), cluster.key("idem-index:" + client)), hash,
                        Long.toString(ttl.toMillis()), Long.toString(maxKeysPerClient), cluster.key("idem:" + client + ":"), key)
                .whenComplete((reply, error) -> {
                    if (error != null) {
                        result.complete(Binding.UNAVAILABLE);
                        return;
                    }
                    if ("new".equals(String.valueOf(reply.get(0)))) {
                        result.complete(Binding.NEW);
                        return;
                    }
                    String bound = String.valueOf(reply.get(1));
                    if (!bound.startsWith(hash + "|")) {
                        result.complete(Binding.REUSED);
                    } else if (bound.endsWith("|done") || System.nanoTime() >= deadline) {
                        result.complete(Binding.REPLAY); // past the wait: the cache's own single flight joins it
                    } else {
                        scheduler.schedule(() -> attempt(client, key, hash, result, deadline, Math.min(delay * 2, MAX_POLL_MILLIS)),
                                delay, TimeUnit.MILLISECONDS);
                    }
                });
    }

    /** The key's first request succeeded: replays may answer with its result. Best effort. */
    public void done(String client, String key, String requestHash) {
        cluster.script(SharedOperation.IDEMPOTENCY_KEYS, SETTLE, ScriptOutputType.INTEGER, List.of(bindingKey(client, key)),
                requestHash + "|pending", requestHash + "|done");
    }

    /** The key's first request failed: it is forgotten, so a retry generates again. Best effort. */
    public void forget(String client, String key, String requestHash) {
        cluster.script(SharedOperation.IDEMPOTENCY_KEYS, SETTLE, ScriptOutputType.INTEGER, List.of(bindingKey(client, key)),
                requestHash + "|pending", "");
    }

    private String bindingKey(String client, String key) {
        return cluster.key("idem:" + client + ":" + key);
    }
}
