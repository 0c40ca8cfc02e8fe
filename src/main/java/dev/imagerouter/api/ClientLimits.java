package dev.imagerouter.api;

import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
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

    private final Clock clock;
    private final Map<String, Window> requests = new ConcurrentHashMap<>();
    private final Map<String, Day> images = new ConcurrentHashMap<>();

    public ClientLimits(Clock clock) {
        this.clock = clock;
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
            long seconds = retryAfterSeconds(wait.get());
            throw new ApiException(io.micronaut.http.HttpStatus.TOO_MANY_REQUESTS, "Daily image limit reached for this API key: "
                    + perDay + " images per UTC day. Retry after " + seconds + " s.", "images", null,
                    "daily_image_limit_exceeded", Map.of(io.micronaut.http.HttpHeaders.RETRY_AFTER, Long.toString(seconds)), null);
        }
    }

    /** Gives back images reserved today by {@link #admitImages} for a generation that produced none. */
    public void releaseImages(String client, int n) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        images.computeIfPresent(client, (k, d) -> d.day().equals(today) ? new Day(today, Math.max(0, d.images() - n)) : d);
    }

    /** {@code Retry-After} in whole seconds, rounded up, at least 1. */
    static long retryAfterSeconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }
}
