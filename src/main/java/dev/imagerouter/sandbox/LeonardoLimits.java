package dev.imagerouter.sandbox;

import java.time.Duration;

/**
 * The Leonardo account limits the emulator enforces, all off by default so that the emulator answers as it always
 * has. Leonardo's published limits (Leonardo docs, rate limits page, 2026): {@code POST /generations} 100 per minute
 * per account; 10 concurrent image jobs; jobs above the concurrency limit wait as PENDING (accepted, with a
 * generationId, processed when a slot frees), up to 200 pending image jobs. How a refusal looks is not documented;
 * the emulator answers the body of its {@code leonardo=429} fault ({@link LeonardoErrors#rateLimited()}), without
 * Retry-After. Validated on construction (messages name the {@code router.sandbox.*} key, the bad value and what
 * was expected).
 *
 * @param createLimit    {@code router.sandbox.leonardo-create-limit}: creates the account may make in any
 *                       {@code createWindow} (a sliding window, see {@link LeonardoCreateWindow}); 0 = unlimited
 *                       (default). Leonardo's is {@value #LEONARDO_CREATES_PER_MINUTE} per minute
 * @param createWindow   {@code router.sandbox.leonardo-create-window}: the window of {@code createLimit}, above zero
 *                       (default 1 min)
 * @param concurrentJobs {@code router.sandbox.leonardo-concurrent-jobs}: jobs processing at once; a job created while
 *                       every slot is busy waits, PENDING, for one (see {@link LeonardoSlots}); 0 = unlimited
 *                       (default). Leonardo's is {@value #LEONARDO_CONCURRENT_JOBS}
 * @param pendingJobs    {@code router.sandbox.leonardo-pending-jobs}: accepted jobs that may wait for a slot; a create
 *                       while that many wait answers 429 (default {@value #LEONARDO_PENDING_JOBS}, Leonardo's; only
 *                       read when {@code concurrentJobs} is set)
 */
public record LeonardoLimits(int createLimit, Duration createWindow, int concurrentJobs, int pendingJobs) {

    /** Leonardo's {@code POST /generations} limit per minute and account (Leonardo docs, rate limits page, 2026). */
    public static final int LEONARDO_CREATES_PER_MINUTE = 100;
    /** Leonardo's concurrent image jobs per account (Leonardo docs, rate limits page, 2026). */
    public static final int LEONARDO_CONCURRENT_JOBS = 10;
    /** Leonardo's pending image jobs per account (Leonardo docs, rate limits page, 2026). */
    public static final int LEONARDO_PENDING_JOBS = 200;

    /**
     * Largest {@code createLimit}: the sliding window keeps one timestamp per create it counts, so this bounds its
     * memory (8 MB of timestamps at most).
     */
    public static final int MAX_CREATE_LIMIT = 1_000_000;
    /** Largest {@code concurrentJobs} and {@code pendingJobs}: the job store keeps {@value LeonardoJobs#MAX_JOBS} jobs. */
    public static final int MAX_JOBS = (int) LeonardoJobs.MAX_JOBS;

    /** No limit on creates (window 1 min) or concurrency; {@value #LEONARDO_PENDING_JOBS} pending jobs. */
    public static final LeonardoLimits NONE = new LeonardoLimits(0, Duration.ofMinutes(1), 0, LEONARDO_PENDING_JOBS);

    public LeonardoLimits {
        inRange("leonardo-create-limit", createLimit, MAX_CREATE_LIMIT, " (0 = unlimited)");
        if (createWindow == null || createWindow.isNegative() || createWindow.isZero()) {
            throw new IllegalArgumentException("router.sandbox.leonardo-create-window must be a duration > 0, but was "
                    + createWindow);
        }
        inRange("leonardo-concurrent-jobs", concurrentJobs, MAX_JOBS, " (0 = unlimited)");
        inRange("leonardo-pending-jobs", pendingJobs, MAX_JOBS, " (0 = no job waits)");
    }

    /** Whether creates are limited per window. */
    boolean limitsCreates() {
        return createLimit > 0;
    }

    /** Whether jobs wait for one of {@link #concurrentJobs()} slots. */
    boolean limitsConcurrency() {
        return concurrentJobs > 0;
    }

    private static void inRange(String key, int value, int max, String zeroMeans) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("router.sandbox." + key + " must be an integer from 0 to " + max + zeroMeans
                    + ", but was " + value);
        }
    }
}
