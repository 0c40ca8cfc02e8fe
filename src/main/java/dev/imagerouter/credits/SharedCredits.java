package dev.imagerouter.credits;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.SharedOperation;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/*
 * The last credit balance shared by replicas (REDIS_URI set): one replica checks, all read.
 *
 *   <prefix>credits:<provider>:check   the check's lease: SET NX PX for credits.check-interval. The
 *                                      replica whose tick takes it calls GET /me; the others read.
 *   <prefix>credits:<provider>         hash: balance (the last check minus every replica's reported
 *                                      costs since), checked_at (Unix ms of that check)
 * A replica that finds no shared balance (none checked yet, or Redis restarted empty) checks itself.
 * Redis down: every replica checks on its own schedule, as without Redis (counted in
 * image_router_redis_fallbacks_total{operation="credit_balance"}). A check that fails releases
 * nothing: the lease expires and the next interval's tick tries again, as a single node does.
 */
/** The credit balance in Redis, checked by one replica and read by all. Thread-safe. */
final class SharedCredits {

    /** A balance as some replica last checked it (minus costs since). */
    record Reading(BigDecimal balance, Instant checkedAt) {
    }

    /** KEYS: balance hash; ARGV: cost. Lowers a known balance; an unknown one stays unknown. */
    private static final Cluster.Script SPEND = new Cluster.Script("""
            if redis.call('HEXISTS', KEYS[1], 'balance') == 0 then return 0 end
            redis.call('HINCRBYFLOAT', KEYS[1], 'balance', '-' .. ARGV[1])
            return 1
            """);

    private final Cluster cluster;

    SharedCredits(Cluster cluster) {
        this.cluster = cluster;
    }

    /** Whether Redis is up (nothing counted). */
    boolean up() {
        return cluster.up();
    }

    /** Whether the balance is shared now; counts a fallback when Redis is configured but down. */
    boolean use() {
        return cluster.use(SharedOperation.CREDIT_BALANCE);
    }

    /**
     * Takes the check of {@code provider} for {@code interval}.
     *
     * @return true when this replica is to check (it took the lease, or Redis could not be asked)
     */
    CompletableFuture<Boolean> claim(String provider, Duration interval) {
        String token = cluster.replicaId();
        return cluster.call(SharedOperation.CREDIT_BALANCE, r -> r.set(cluster.key("credits:" + provider + ":check"), token,
                        SetArgs.Builder.nx().px(Math.max(1, interval.toMillis()))))
                .thenApply("OK"::equals)
                .exceptionally(e -> true);
    }

    /** Publishes a balance this replica checked. Best effort. */
    void publish(String provider, BigDecimal balance, Instant checkedAt) {
        cluster.call(SharedOperation.CREDIT_BALANCE, r -> r.hset(cluster.key("credits:" + provider),
                java.util.Map.of("balance", balance.toPlainString(), "checked_at", Long.toString(checkedAt.toEpochMilli()))));
    }

    /** The shared balance, if a replica has checked it; empty too when Redis could not be asked. */
    CompletableFuture<Optional<Reading>> read(String provider) {
        return cluster.call(SharedOperation.CREDIT_BALANCE, r -> r.hmget(cluster.key("credits:" + provider), "balance", "checked_at"))
                .thenApply(values -> {
                    if (values.size() < 2 || !values.get(0).hasValue() || !values.get(1).hasValue()) {
                        return Optional.<Reading>empty();
                    }
                    return Optional.of(new Reading(new BigDecimal(values.get(0).getValue()),
                            Instant.ofEpochMilli(Long.parseLong(values.get(1).getValue()))));
                })
                .exceptionally(e -> Optional.empty());
    }

    /** Lowers the shared balance by a generation's reported cost (any replica's). Best effort. */
    void spend(String provider, BigDecimal cost) {
        cluster.script(SharedOperation.CREDIT_BALANCE, SPEND, ScriptOutputType.INTEGER, List.of(cluster.key("credits:" + provider)),
                cost.toPlainString());
    }
}
