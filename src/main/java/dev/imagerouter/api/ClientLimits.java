package dev.imagerouter.api;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.SharedOperation;
import io.lettuce.core.ScriptOutputType;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client limits ({@code router.auth.limits.*}): requests per minute and images per UTC day.
 *
 * <p>Requests: a fixed one-minute window that starts at the client's first request after the
 * previous window ended (so a burst is never split across an aligned minute boundary). Images: the
 * sum of {@code n} over the current UTC day; images of a generation that failed are given back
 * ({@link #releaseImages}). A limit of 0 is off. Time comes from the injected {@link Clock}.
 *
 * <p>Thread-safe: each client's state is updated atomically with {@link ConcurrentHashMap#compute}.
 * Memory is one entry per client name (client names come from configuration, plus "anonymous").
 *
 * <p>Several replicas (REDIS_URI): while Redis is up both limits are counted there, so they hold for
 * the client across replicas: the request window is a key {@code clients:<name>:requests} that
 * expires a minute after the window's first request (INCR, as the local window), the day's images
 * {@code clients:<name>:images:<UTC date>} (checked and added in one script, given back with a
 * floor at 0). Redis down or failing: this replica's own counts decide, as without Redis (counted in
 * {@code image_router_redis_fallbacks_total{operation="client_limits"}}). A reservation given back
 * after Redis came or went between reserve and release lands on the other count (a few images of
 * allowance, one way or the other, once per transition).
 */
@Singleton
public class ClientLimits {

    /** The client name used when no key is configured (open sandbox mode). */
    public static final String ANONYMOUS = "anonymous";
    static final Duration WINDOW = Duration.ofMinutes(1);

    private record Window(Instant start, int count) {
    }

    private record Day(LocalDate day, long images) {
    }

    /** KEYS: the window's counter; ARGV: limit, window ms. Returns -1 when admitted, else ms until the window ends. */
    private static final Cluster.Script ADMIT_REQUEST = new Cluster.Script("""
            local n = redis.call('INCR', KEYS[1])
            if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            if n > tonumber(ARGV[1]) then
              redis.call('DECR', KEYS[1])
              local ttl = redis.call('PTTL', KEYS[1])
              if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
              return ttl
            end
            return -1
            """);
    /** KEYS: the day's images; ARGV: n, limit, expiry ms. Returns 1 when reserved, 0 when over the limit. */
    private static final Cluster.Script RESERVE_IMAGES = new Cluster.Script("""
            local used = tonumber(redis.call('GET', KEYS[1]) or '0')
            if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
            redis.call('INCRBY', KEYS[1], ARGV[1])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return 1
            """);
    /** KEYS: the day's images; ARGV: n. Gives n back, never below 0. */
    private static final Cluster.Script RELEASE_IMAGES = new Cluster.Script("""
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            local left = redis.call('DECRBY', KEYS[1], ARGV[1])
            if left < 0 then redis.call('SET', KEYS[1], '0', 'KEEPTTL') end
            return 1
            """);

    private final Clock clock;
    private final Cluster cluster;
    private final Map<String, Window> requests = new ConcurrentHashMap<>();
    private final Map<String, Day> images = new ConcurrentHashMap<>();

    public ClientLimits(Clock clock) {
        this(clock, Cluster.singleNode());
    }

    /** Limits counted in Redis while {@code cluster} is up, in this replica otherwise. */
    @Inject
    public ClientLimits(Clock clock, Cluster cluster) {
        this.clock = clock;
        this.cluster = cluster;
    }

    /**
     * Whether the requests-per-minute limit is counted in Redis now (a limit is set and Redis is up):
     * then {@link #admitRequestShared} decides instead of {@link #admitRequest}. Counts a fallback when
     * Redis is configured but down.
     */
    public boolean sharesRequests(int perMinute) {
        return perMinute > 0 && cluster.use(SharedOperation.CLIENT_LIMITS);
    }

    /**
     * {@link #admitRequest} counted in Redis, for every replica; this replica's own count when Redis
     * fails on the way.
     *
     * @return completes (never exceptionally) with empty when admitted, else how long until the window ends
     */
    public CompletableFuture<Optional<Duration>> admitRequestShared(String client, int perMinute) {
        return cluster.<Long>script(SharedOperation.CLIENT_LIMITS, ADMIT_REQUEST, ScriptOutputType.INTEGER,
                        List.of(cluster.key("clients:" + client + ":requests")), Integer.toString(perMinute),
                        Long.toString(WINDOW.toMillis()))
                .thenApply(ms -> ms < 0 ? Optional.<Duration>empty() : Optional.of(Duration.ofMillis(Math.max(1, ms))))
                .exceptionally(e -> admitRequest(client, perMinute));
    }

    /** Whether the day's image allowance is counted in Redis now (a limit is set and Redis is up). */
    public boolean sharesImages(int perDay) {
        return perDay > 0 && cluster.use(SharedOperation.CLIENT_LIMITS);
    }

    /**
     * {@link #reserveImages} counted in Redis, for every replica; this replica's own count when Redis
     * fails on the way.
     *
     * @return completes when reserved, or exceptionally with {@link ApiException} 429 {@code daily_image_limit_exceeded}
     */
    CompletableFuture<Void> reserveImagesShared(String client, int n, int perDay) {
        Instant now = clock.instant();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Duration untilMidnight = Duration.between(now, today.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());
        return cluster.<Long>script(SharedOperation.CLIENT_LIMITS, RESERVE_IMAGES, ScriptOutputType.INTEGER,
                        List.of(imagesKey(client, today)), Integer.toString(n), Integer.toString(perDay),
                        Long.toString(untilMidnight.plusHours(1).toMillis()))
                .handle((reserved, error) -> {
                    if (error != null) {
                        reserveImages(client, n, perDay); // this replica's count; throws when over
                    } else if (reserved == 0) {
                        throw dailyLimitReached(perDay, untilMidnight);
                    }
                    return null;
                });
    }

    private String imagesKey(String client, LocalDate day) {
        return cluster.key("clients:" + client + ":images:" + day);
    }

    /**
     * Counts one request of {@code client}.
     *
     * @param perMinute the limit, 0 = none
     * @return empty when admitted, else how long until the window ends (the request is not counted)
     */
    public Optional<Duration> admitRequest(String client, int perMinute) {
        if (perMinute <= 0) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Duration[] retry = {null};
        requests.compute(client, (k, w) -> {
            if (w == null || !now.isBefore(w.start().plus(WINDOW))) {
                return new Window(now, 1);
            }
            if (w.count() < perMinute) {
                return new Window(w.start(), w.count() + 1);
            }
            retry[0] = Duration.between(now, w.start().plus(WINDOW));
            return w;
        });
        return Optional.ofNullable(retry[0]);
    }

    /**
     * Reserves {@code n} images of {@code client}'s daily allowance.
     *
     * @param perDay the limit, 0 = none
     * @return empty when admitted, else how long until the next UTC midnight (nothing is reserved)
     */
    public Optional<Duration> admitImages(String client, int n, int perDay) {
        if (perDay <= 0) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Duration[] retry = {null};
        images.compute(client, (k, d) -> {
            long used = d == null || !d.day().equals(today) ? 0 : d.images();
            if (used + n > perDay) {
                retry[0] = Duration.between(now, today.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());
                return d;
            }
            return new Day(today, used + n);
        });
        return Optional.ofNullable(retry[0]);
    }

    /**
     * {@link #admitImages} for the API layer.
     *
     * @throws ApiException 429 {@code daily_image_limit_exceeded} with {@code Retry-After} when over the limit
     */
    void reserveImages(String client, int n, int perDay) {
        Optional<Duration> wait = admitImages(client, n, perDay);
        if (wait.isPresent()) {
            throw dailyLimitReached(perDay, wait.get());
        }
    }

    private static ApiException dailyLimitReached(int perDay, Duration wait) {
        long seconds = retryAfterSeconds(wait);
        return new ApiException(io.micronaut.http.HttpStatus.TOO_MANY_REQUESTS, "Daily image limit reached for this API key: "
                + perDay + " images per UTC day. Retry after " + seconds + " s.", "images", null,
                "daily_image_limit_exceeded", Map.of(io.micronaut.http.HttpHeaders.RETRY_AFTER, Long.toString(seconds)), null);
    }

    /**
     * Gives back images reserved today for a generation that produced none: in Redis while it is up
     * (best effort), else in this replica's count.
     */
    public void releaseImages(String client, int n) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        if (cluster.up()) {
            cluster.script(SharedOperation.CLIENT_LIMITS, RELEASE_IMAGES, ScriptOutputType.INTEGER,
                    List.of(imagesKey(client, today)), Integer.toString(n));
            return;
        }
        images.computeIfPresent(client, (k, d) -> d.day().equals(today) ? new Day(today, Math.max(0, d.images() - n)) : d);
    }

    /** {@code Retry-After} in whole seconds, rounded up, at least 1. */
    static long retryAfterSeconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }
}
