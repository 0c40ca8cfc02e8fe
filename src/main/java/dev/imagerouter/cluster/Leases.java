package dev.imagerouter.cluster;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * Leases: something one replica holds in Redis for as long as it keeps renewing it, and which frees
 * itself router.redis.lease-ttl after the last renewal when the replica dies (kill -9, a lost host,
 * a partition). Two shapes:
 *   key lease     a key SET NX PX to "<replica id>:<random>" (a generation in flight, the credit check);
 *   member lease  a member of a sorted set whose score is its expiry in Redis's own clock (TIME), so a
 *                 set holds a bounded number of them (a provider's concurrency slots). Whoever adds
 *                 members purges expired ones first; see routing.SharedLimits.
 * One task renews every lease this replica holds every third of the TTL, in one script call (one
 * round trip whatever the count). A lease the renewal finds gone (expired while Redis was slow,
 * or deleted) is reported lost once; its holder goes on (the work is under way and paid for), it
 * only no longer keeps others out. Release compares the value first (never deletes another
 * replica's lease). While Redis is down nothing is renewed: leases then expire in Redis, which is
 * what every replica's fallback to its own state assumes.
 *
 * Why not Redisson's RLock/RPermitExpirableSemaphore: the same protocol (SET NX PX, a sorted set of
 * expiring permits, a watchdog renewing them), but a second Redis client with its own Netty event
 * loops and codec next to Lettuce, for two short scripts.
 */
/** Takes, renews and releases leases in Redis. Thread-safe. */
public final class Leases {

    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);

    /** KEYS: lease keys; ARGV[1]: ttl ms, ARGV[1+i]: "k<token>" or "z<member>". Returns the indexes (1-based) found gone. */
    private static final Cluster.Script RENEW = new Cluster.Script("""
            local ttl = tonumber(ARGV[1])
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local lost = {}
            for i, key in ipairs(KEYS) do
              local arg = ARGV[i + 1]
              local kind, token = string.sub(arg, 1, 1), string.sub(arg, 2)
              if kind == 'k' then
                if redis.call('GET', key) == token then
                  redis.call('PEXPIRE', key, ttl)
                else
                  lost[#lost + 1] = i
                end
              else
                if redis.call('ZSCORE', key, token) then
                  redis.call('ZADD', key, 'XX', now + ttl, token)
                  redis.call('PEXPIRE', key, ttl * 4)
                else
                  lost[#lost + 1] = i
                end
              end
            end
            return lost
            """);
    /** KEYS[1]: the lease key; ARGV[1]: the token. Deletes it only when it is still ours. */
    private static final Cluster.Script RELEASE = new Cluster.Script("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """);

    /** One held lease. */
    public final class Lease {
        private final SharedOperation operation;
        private final String key;
        private final String token;
        private final boolean member;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(SharedOperation operation, String key, String token, boolean member) {
            this.operation = operation;
            this.key = key;
            this.token = token;
            this.member = member;
        }

        /** The lease's key (a key lease) or sorted set (a member lease). */
        public String key() {
            return key;
        }

        /** The value that marks it as this replica's: {@code <replica id>:<random>}. */
        public String token() {
            return token;
        }

        /** Stops renewing and frees it in Redis (best effort: if Redis is down it expires by itself). Idempotent. */
        public CompletableFuture<Void> release() {
            if (!released.compareAndSet(false, true)) {
                return CompletableFuture.completedFuture(null);
            }
            held.remove(this);
            CompletableFuture<?> done = member
                    ? cluster.call(operation, r -> r.zrem(key, token))
                    : cluster.script(operation, RELEASE, ScriptOutputType.INTEGER, List.of(key), token);
            return done.handle((v, e) -> null);
        }

        /** Stops renewing without touching Redis (the caller removed or replaced it in a script of its own). */
        public void forget() {
            released.set(true);
            held.remove(this);
        }

        /** Whether {@link #release()} or {@link #forget()} was called. */
        public boolean released() {
            return released.get();
        }
    }

    private final Cluster cluster;
    private final Map<Lease, Boolean> held = new ConcurrentHashMap<>();

    /**
     * @param scheduler renews every held lease every third of {@code router.redis.lease-ttl}
     */
    public Leases(Cluster cluster, ScheduledExecutorService scheduler) {
        this.cluster = cluster;
        if (cluster.enabled()) {
            long period = Math.max(50, cluster.settings().leaseTtl().toMillis() / 3);
            scheduler.scheduleWithFixedDelay(this::renewAll, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /** A fresh token: this replica's id and 64 random bits. */
    public String newToken() {
        return cluster.replicaId() + ":" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /** The lease TTL in milliseconds ({@code router.redis.lease-ttl}). */
    public long ttlMillis() {
        return cluster.settings().leaseTtl().toMillis();
    }

    /**
     * Tries to take the key lease {@code key} ({@code SET NX PX}).
     *
     * @return the lease, renewed until released; empty when another holder has it; failed with
     *         {@link SharedStateUnavailableException} when Redis cannot be asked
     */
    public CompletableFuture<Optional<Lease>> tryAcquire(SharedOperation operation, String key) {
        String token = newToken();
        return cluster.call(operation, r -> r.set(key, token, SetArgs.Builder.nx().px(ttlMillis())))
                .thenApply(ok -> "OK".equals(ok) ? Optional.of(adopt(operation, key, token, false)) : Optional.empty());
    }

    /**
     * Starts renewing a lease that a script of the caller's took: a key set to {@code token}
     * ({@code member} false) or a member {@code token} of the sorted set {@code key} scored with its
     * expiry in Redis's clock ({@code member} true).
     */
    public Lease adopt(SharedOperation operation, String key, String token, boolean member) {
        Lease lease = new Lease(operation, key, token, member);
        held.put(lease, Boolean.TRUE);
        return lease;
    }

    /** Leases held (and renewed) now. */
    public int size() {
        return held.size();
    }

    private void renewAll() {
        if (held.isEmpty() || !cluster.up()) {
            return;
        }
        List<Lease> leases = new ArrayList<>(held.keySet());
        List<String> keys = new ArrayList<>(leases.size());
        String[] args = new String[leases.size() + 1];
        args[0] = Long.toString(ttlMillis());
        for (int i = 0; i < leases.size(); i++) {
            Lease l = leases.get(i);
            keys.add(l.key);
            args[i + 1] = (l.member ? "z" : "k") + l.token;
        }
        cluster.<List<Object>>script(leases.get(0).operation, RENEW, ScriptOutputType.MULTI, keys, args)
                .whenComplete((lost, error) -> {
                    if (error != null || lost == null) {
                        return; // counted as a fallback; tried again next period
                    }
                    for (Object index : lost) {
                        Lease l = leases.get(((Long) index).intValue() - 1);
                        if (!l.released() && held.remove(l) != null) {
                            LOG.warn("redis: lease {} of this replica expired before it was renewed (Redis slow or restarted);"
                                    + " others may now take it", l.key);
                        }
                    }
                });
    }
}
