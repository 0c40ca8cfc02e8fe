package dev.imagerouter.credits;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.Leases;
import dev.imagerouter.cluster.SharedOperation;
import io.lettuce.core.ScriptOutputType;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/*
 * Today's spend shared by replicas (REDIS_URI set), so a daily budget holds for the deployment, not
 * per replica. The same rule as DailySpend (a call may start while settled + reserved < budget in
 * every unit with a budget; it then reserves its expected cost), counted in Redis:
 *
 *   <prefix>spend:<UTC day>:settled                 hash "<provider>\t<unit>" -> settled amount, plus
 *                                                   "seeded" once today's spend journal was read in
 *   <prefix>spend:<UTC day>:reserved:<provider>:<unit>
 *                                                   sorted set of the calls in flight: member
 *                                                   "<token>|<amount>", score its lease's expiry
 *                                                   (renewed while the call runs, cluster.Leases): a
 *                                                   replica that dies stops holding its reservations
 *                                                   router.redis.lease-ttl later
 * RESERVE checks and reserves in one script; SETTLE gives the reservation back and adds the actual
 * cost, returning the settled amount before and after (the replica whose settlement reaches a budget
 * raises the one BUDGET_EXCEEDED alert). Every settlement is also appended to the spend journal under
 * router.storage.dir by the replica that settles it, as before: on a shared volume the day's file
 * holds every replica's settlements, and it is what seeds the shared hash when Redis starts empty
 * (a restart without persistence): the first replica that finds "seeded" missing reads the journal
 * and adds it in (SEED, once). A settlement while unseeded is not added to the hash (it is in the
 * journal, which the seed reads).
 *
 * Redis down or failing: the replica's own DailySpend decides (the journal as read at startup plus
 * its own settlements since; counted in image_router_redis_fallbacks_total{operation="spend"}).
 * Amounts are compared as Lua numbers (doubles): far finer than any budget needs.
 */
/** Today's spend and reservations per provider and unit, in Redis. Thread-safe. */
final class SharedSpend {

    /** KEYS: settled, reserved sets. ARGV: provider, token, ttl ms, then per set: unit, budget or '', expected or ''. */
    private static final Cluster.Script RESERVE = new Cluster.Script("""
            if redis.call('HEXISTS', KEYS[1], 'seeded') == 0 then return {'unseeded'} end
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            for i = 2, #KEYS do
              local unit, budget = ARGV[4 + (i - 2) * 3], ARGV[5 + (i - 2) * 3]
              redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
              if budget ~= '' then
                local committed = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. '\\t' .. unit) or '0')
                for _, m in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
                  committed = committed + tonumber(string.match(m, '|(.+)$'))
                end
                if committed >= tonumber(budget) then return {'budget'} end
              end
            end
            for i = 2, #KEYS do
              local expected = ARGV[6 + (i - 2) * 3]
              if expected ~= '' then
                redis.call('ZADD', KEYS[i], now + tonumber(ARGV[3]), ARGV[2] .. '|' .. expected)
                redis.call('PEXPIRE', KEYS[i], 172800000)
              end
            end
            return {'ok'}
            """);
    /** KEYS: settled, reserved sets to give back. ARGV: provider, one member per set, unit, amount ('' gives back only). */
    private static final Cluster.Script SETTLE = new Cluster.Script("""
            for i = 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[i]) end
            local unit, amount = ARGV[#KEYS + 1], ARGV[#KEYS + 2]
            if amount == '' then return {'released'} end
            if redis.call('HEXISTS', KEYS[1], 'seeded') == 0 then return {'unseeded'} end
            local field = ARGV[1] .. '\\t' .. unit
            local before = redis.call('HGET', KEYS[1], field) or '0'
            local after = redis.call('HINCRBYFLOAT', KEYS[1], field, amount)
            redis.call('PEXPIRE', KEYS[1], 172800000)
            return {'ok', before, after}
            """);
    /** KEYS: settled. ARGV: field, amount, field, amount, ... Adds the journal in once. */
    private static final Cluster.Script SEED = new Cluster.Script("""
            if redis.call('HSETNX', KEYS[1], 'seeded', '1') == 0 then return 0 end
            for i = 1, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end
            redis.call('PEXPIRE', KEYS[1], 172800000)
            return 1
            """);

    /** A shared reservation: the members it holds in the reserved sets, by unit. */
    record Hold(String provider, LocalDate day, Map<String, BigDecimal> held, Map<String, Leases.Lease> leases) {
    }

    /** What RESERVE answered. */
    enum Outcome { RESERVED, BUDGET_REACHED, UNAVAILABLE }

    private final Cluster cluster;
    private final Leases leases;
    private final Clock clock;
    private final Function<LocalDate, Map<String, BigDecimal>> journal;
    private final Executor journalReads;

    /**
     * @param journal      today's settled spend per {@code provider\tunit} from the spend journal (file I/O)
     * @param journalReads where the journal is read (never an event loop)
     */
    SharedSpend(Cluster cluster, Leases leases, Clock clock, Function<LocalDate, Map<String, BigDecimal>> journal,
                Executor journalReads) {
        this.cluster = cluster;
        this.leases = leases;
        this.clock = clock;
        this.journal = journal;
        this.journalReads = journalReads;
    }

    /** Whether the spend is shared now; counts a fallback when Redis is configured but down. */
    boolean use() {
        return cluster.use(SharedOperation.SPEND);
    }

    /**
     * Reserves {@code expected} for one call of {@code provider} unless a budget is reached.
     *
     * @return the hold when reserved; empty with {@link Outcome#BUDGET_REACHED} or {@link Outcome#UNAVAILABLE}
     */
    CompletableFuture<Map.Entry<Outcome, Optional<Hold>>> reserve(String provider, Map<String, BigDecimal> expected,
                                                                 Map<String, BigDecimal> budgets) {
        return reserve(provider, expected, budgets, true);
    }

    private CompletableFuture<Map.Entry<Outcome, Optional<Hold>>> reserve(String provider, Map<String, BigDecimal> expected,
                                                                         Map<String, BigDecimal> budgets, boolean seedFirst) {
        LocalDate day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        TreeSet<String> units = new TreeSet<>(budgets.keySet());
        expected.forEach((unit, amount) -> {
            if (amount.signum() > 0) {
                units.add(unit);
            }
        });
        String token = leases.newToken();
        List<String> keys = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of(provider, token, Long.toString(leases.ttlMillis())));
        keys.add(settledKey(day));
        for (String unit : units) {
            keys.add(reservedKey(day, provider, unit));
            BigDecimal e = expected.get(unit);
            args.add(unit);
            args.add(budgets.containsKey(unit) ? budgets.get(unit).toPlainString() : "");
            args.add(e != null && e.signum() > 0 ? e.toPlainString() : "");
        }
        return cluster.<List<Object>>script(SharedOperation.SPEND, RESERVE, ScriptOutputType.MULTI, keys, args.toArray(String[]::new))
                .thenCompose(reply -> {
                    String answer = String.valueOf(reply.get(0));
                    if ("unseeded".equals(answer) && seedFirst) {
                        return seed(day).thenCompose(v -> reserve(provider, expected, budgets, false));
                    }
                    if ("budget".equals(answer)) {
                        return CompletableFuture.completedFuture(Map.entry(Outcome.BUDGET_REACHED, Optional.<Hold>empty()));
                    }
                    if (!"ok".equals(answer)) {
                        return CompletableFuture.completedFuture(Map.entry(Outcome.UNAVAILABLE, Optional.<Hold>empty()));
                    }
                    Map<String, BigDecimal> held = new java.util.HashMap<>();
                    Map<String, Leases.Lease> members = new java.util.HashMap<>();
                    for (String unit : units) {
                        BigDecimal e = expected.get(unit);
                        if (e != null && e.signum() > 0) {
                            held.put(unit, e);
                            members.put(unit, leases.adopt(SharedOperation.SPEND, reservedKey(day, provider, unit),
                                    token + "|" + e.toPlainString(), true));
                        }
                    }
                    return CompletableFuture.completedFuture(Map.entry(Outcome.RESERVED,
                            Optional.of(new Hold(provider, day, Map.copyOf(held), Map.copyOf(members)))));
                })
                .exceptionally(e -> Map.entry(Outcome.UNAVAILABLE, Optional.empty()));
    }

    /**
     * Settles {@code hold}: its reservations are given back and {@code amount} of {@code unit} is added
     * to today's settled spend.
     *
     * @return the settled amount before and after, when it was added (empty when Redis failed, or the
     *         day's hash was unseeded: the journal then carries it)
     */
    CompletableFuture<Optional<DailySpend.Added>> settle(Hold hold, String unit, BigDecimal amount) {
        return give(hold, unit, amount.toPlainString()).thenApply(reply -> {
            if (reply == null || !"ok".equals(String.valueOf(reply.get(0)))) {
                return Optional.empty();
            }
            return Optional.of(new DailySpend.Added(unit, new BigDecimal(String.valueOf(reply.get(1))),
                    new BigDecimal(String.valueOf(reply.get(2)))));
        });
    }

    /** Gives {@code hold}'s reservations back (nothing was paid). Best effort: they expire by themselves. */
    void release(Hold hold) {
        give(hold, "", "");
    }

    private CompletableFuture<List<Object>> give(Hold hold, String unit, String amount) {
        List<String> keys = new ArrayList<>(List.of(settledKey(hold.day())));
        List<String> args = new ArrayList<>(List.of(hold.provider()));
        hold.leases().forEach((u, lease) -> {
            if (!lease.released()) {
                lease.forget();
                keys.add(lease.key());
                args.add(lease.token());
            }
        });
        args.add(unit);
        args.add(amount);
        return cluster.<List<Object>>script(SharedOperation.SPEND, SETTLE, ScriptOutputType.MULTI, keys, args.toArray(String[]::new))
                .exceptionally(e -> null);
    }

    private String settledKey(LocalDate day) {
        return cluster.key("spend:" + day + ":settled");
    }

    private String reservedKey(LocalDate day, String provider, String unit) {
        return cluster.key("spend:" + day + ":reserved:" + provider + ":" + unit);
    }

    private CompletableFuture<Void> seed(LocalDate day) {
        return CompletableFuture.supplyAsync(() -> journal.apply(day), journalReads)
                .thenCompose(sums -> {
                    List<String> args = new ArrayList<>();
                    sums.forEach((field, amount) -> {
                        args.add(field);
                        args.add(amount.toPlainString());
                    });
                    return cluster.<Long>script(SharedOperation.SPEND, SEED, ScriptOutputType.INTEGER, List.of(settledKey(day)),
                            args.toArray(String[]::new));
                })
                .handle((v, e) -> null);
    }
}
