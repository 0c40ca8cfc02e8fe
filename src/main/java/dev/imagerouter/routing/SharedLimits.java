package dev.imagerouter.routing;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.Leases;
import dev.imagerouter.cluster.SharedOperation;
import dev.imagerouter.provider.ResilienceSettings;
import io.lettuce.core.ScriptOutputType;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/*
 * A provider account's limits, enforced across every replica (REDIS_URI set): creates per period
 * (resilience.limit-for-period per limit-refresh-period; Leonardo: 100 a minute) and concurrent jobs
 * (resilience.max-concurrent-calls; Leonardo: 10), both counted in Redis under the provider's limit
 * key (limitKey: the provider's account, ProviderConfig.limitKey()).
 *
 *   <prefix>limits:<key>:slots    sorted set of concurrency slots: member = a lease token, score = its
 *                                 expiry in Redis's clock. A slot is held until the job is terminal
 *                                 (ProviderCall releases it then, also after the attempt timed out), and
 *                                 renewed meanwhile (cluster.Leases); a replica that dies stops renewing,
 *                                 and its slots are purged router.redis.lease-ttl later.
 *   <prefix>limits:<key>:creates  sorted set of the creates of the last period: member = token,
 *                                 score = when (Redis's clock). At most limit-for-period in any span of
 *                                 one period: a sliding window, as Leonardo counts (its docs do not say
 *                                 which window; the emulators use a sliding one).
 * One script (ACQUIRE) purges what expired, checks both and takes both, atomically, in one round trip,
 * so two replicas never both take the last slot. Releasing a slot publishes the key on
 * <prefix>limits, so queued jobs on every replica are looked at again at once (they also poll).
 *
 * While Redis is up the shared limits replace the provider's own Resilience4j rate limiter (the
 * shared one is the account's, hence stricter); the per-replica bulkhead stays as a bound on this
 * process. While it is down (or an operation fails) each replica enforces the per-replica limiter
 * and bulkhead, exactly as without Redis (counted in image_router_redis_fallbacks_total
 * {operation="provider_limits"}): the account may then see up to replicas x the limit, and Leonardo's
 * own 429s are handled by the policy table as always.
 *
 * Why Lua through Lettuce and not Bucket4j: a token bucket lets a full bucket plus its refill through
 * within one period (up to twice the limit in a sliding minute), and it has no notion of a permit
 * that is held and expires when its holder dies; the window log and the slot leases are a dozen lines.
 */
/** The account-wide rate limits and concurrency slots of providers, shared by replicas through Redis. Thread-safe. */
public final class SharedLimits {

    /** How a request for a shared slot ended. */
    public sealed interface Admission {
    }

    /** A slot and a create permit were taken: release (or give back) the slot. */
    public record Granted(Slot slot) implements Admission {
    }

    /**
     * Refused: {@code reason} is the trail reason ({@code BULKHEAD_FULL}: every slot is held;
     * {@code RATE_LIMITER}: the period's creates are used), {@code retryMillis} when the next permit
     * comes (0: unknown, e.g. when a slot frees).
     */
    public record Refused(String reason, long retryMillis) implements Admission {
    }

    /** Redis could not be asked: the per-replica limiter and bulkhead decide (the fallback is counted). */
    public record Unavailable() implements Admission {
    }

    /** A concurrency slot held in Redis (or none, when the shared limits are off). */
    public static final class Slot {
        /** No shared slot: nothing to release. */
        public static final Slot NONE = new Slot(null, null, null);

        private final SharedLimits owner;
        private final Leases.Lease lease;
        private final String createsKey;

        private Slot(SharedLimits owner, Leases.Lease lease, String createsKey) {
            this.owner = owner;
            this.lease = lease;
            this.createsKey = createsKey;
        }

        /** The job reached its terminal state: the slot is freed (its create stays counted in the period). Idempotent. */
        public void release() {
            if (lease != null && !lease.released()) {
                owner.free(lease, null);
            }
        }

        /** Nothing was called: the slot and the create permit are both given back. Idempotent. */
        public void giveBack() {
            if (lease != null && !lease.released()) {
                owner.free(lease, createsKey);
            }
        }
    }

    /** Off: every admission is {@link Unavailable} without a round trip and without counting a fallback. */
    public static final SharedLimits NONE = new SharedLimits();

    /**
     * KEYS: slots, creates. ARGV: max concurrent, limit for period, period ms, token, lease ttl ms, count a create (1|0).
     * Returns {'ok', 0} | {'slots', 0} | {'rate', ms until the oldest create leaves the window}.
     */
    private static final Cluster.Script ACQUIRE = new Cluster.Script("""
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local period = tonumber(ARGV[3])
            local ttl = tonumber(ARGV[5])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return {'slots', 0} end
            if ARGV[6] == '1' then
              redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - period)
              if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
                local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
                return {'rate', math.max(1, tonumber(oldest[2]) + period - now)}
              end
              redis.call('ZADD', KEYS[2], now, ARGV[4])
              redis.call('PEXPIRE', KEYS[2], period * 2)
            end
            redis.call('ZADD', KEYS[1], now + ttl, ARGV[4])
            redis.call('PEXPIRE', KEYS[1], ttl * 4)
            return {'ok', 0}
            """);
    /** KEYS: slots, creates (or '' to keep the create counted). ARGV: token, channel, limit key. */
    private static final Cluster.Script FREE = new Cluster.Script("""
            local removed = redis.call('ZREM', KEYS[1], ARGV[1])
            if KEYS[2] ~= '' then redis.call('ZREM', KEYS[2], ARGV[1]) end
            redis.call('PUBLISH', ARGV[2], ARGV[3])
            return removed
            """);

    private final Cluster cluster;
    private final Leases leases;
    private final String channel;

    private SharedLimits() {
        this.cluster = null;
        this.leases = null;
        this.channel = null;
    }

    public SharedLimits(Cluster cluster, Leases leases) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.leases = Objects.requireNonNull(leases, "leases");
        this.channel = cluster.key("limits");
    }

    /**
     * The key a provider's limits are counted under across replicas: its account
     * ({@code ProviderConfig.limitKey()}: the file's {@code account:}, else {@code api-key-env} for the
     * Leonardo types, else the instance name), so the v1 and v2 files on one Leonardo key share that
     * account's creates and jobs across replicas as they share one limiter and bulkhead in a replica.
     */
    public static String limitKey(ProviderHandle handle) {
        return handle.config().limitKey();
    }

    /**
     * Whether the shared limits decide now (Redis configured and connected). When configured but down,
     * counts a fallback of {@code provider_limits}: the caller uses the per-replica limiter.
     */
    public boolean use() {
        return cluster != null && cluster.use(SharedOperation.PROVIDER_LIMITS);
    }

    /** Calls {@code listener} with a limit key each time any replica frees one of its slots. */
    public void onFreed(Consumer<String> listener) {
        if (cluster != null) {
            cluster.subscribe(channel, listener);
        }
    }

    /**
     * Takes a concurrency slot and a create permit of {@code handle}'s account, both or neither.
     *
     * @param countCreate false for a job resumed after a restart (it was created earlier: no create is counted)
     * @return never fails: {@link Granted}, {@link Refused} or {@link Unavailable}
     */
    public CompletableFuture<Admission> acquire(ProviderHandle handle, boolean countCreate) {
        if (cluster == null) {
            return CompletableFuture.completedFuture(new Unavailable());
        }
        ResilienceSettings s = handle.config().resilience();
        String key = limitKey(handle);
        String slots = cluster.key("limits:" + key + ":slots");
        String creates = cluster.key("limits:" + key + ":creates");
        String token = leases.newToken();
        return cluster.<List<Object>>script(SharedOperation.PROVIDER_LIMITS, ACQUIRE, ScriptOutputType.MULTI, List.of(slots, creates),
                        Integer.toString(s.maxConcurrentCalls()), Integer.toString(s.limitForPeriod()),
                        Long.toString(Math.max(1, s.limitRefreshPeriod().toMillis())), token, Long.toString(leases.ttlMillis()),
                        countCreate ? "1" : "0")
                .<Admission>thenApply(reply -> switch (String.valueOf(reply.get(0))) {
                    case "ok" -> new Granted(new Slot(this, leases.adopt(SharedOperation.PROVIDER_LIMITS, slots, token, true),
                            countCreate ? creates : ""));
                    case "slots" -> new Refused(Router.BULKHEAD_FULL, 0);
                    default -> new Refused("RATE_LIMITER", ((Number) reply.get(1)).longValue());
                })
                .exceptionally(e -> new Unavailable());
    }

    private void free(Leases.Lease lease, String createsKey) {
        lease.forget();
        String key = lease.key();
        String limitKey = key.substring(cluster.key("limits:").length(), key.length() - ":slots".length());
        cluster.script(SharedOperation.PROVIDER_LIMITS, FREE, ScriptOutputType.INTEGER,
                List.of(key, createsKey == null ? "" : createsKey), lease.token(), channel, limitKey);
    }
}
