package dev.imagerouter.sandbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.inject.Singleton;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * The emulated Leonardo job store: generations by id in a Caffeine cache (expire 1 h after
 * creation, at most 100,000). Real Leonardo images never expire (WIRE §6.3); the emulator forgets
 * them to bound memory, and a forgotten id polls as {@code {"generations_by_pk":null}}. Jobs created
 * under the {@code poll_500} fault also have a count of polls still to fail, kept alike. Thread-safe.
 */
@Singleton
class LeonardoJobs {

    /** How long a generation is kept. */
    static final Duration RETENTION = Duration.ofHours(1);
    /** How many generations are kept at most. */
    static final long MAX_JOBS = 100_000;
    /** Largest seed for non-Flux models (WIRE §2.1 {@code seed}). */
    static final long MAX_SEED = 9_999_999_998L;
    /** How many polls of a job created under the {@code poll_500} fault answer 500 before it polls normally. */
    static final int POLL_500_COUNT = 4;
    /** How many CDN fetches of a job created under the {@code cdn_500} fault answer 500 before it serves its images. */
    static final int CDN_500_COUNT = 2;

    private static final DateTimeFormatter CREATED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS");

    private final Cache<String, LeonardoJob> jobs = Caffeine.newBuilder()
            .expireAfterWrite(RETENTION)
            .maximumSize(MAX_JOBS)
            .build();
    private final Cache<String, AtomicInteger> pollFailures = Caffeine.newBuilder()
            .expireAfterWrite(RETENTION)
            .maximumSize(MAX_JOBS)
            .build();
    private final Cache<String, AtomicInteger> cdnFailures = Caffeine.newBuilder()
            .expireAfterWrite(RETENTION)
            .maximumSize(MAX_JOBS)
            .build();

    /**
     * Creates and stores a job whose PENDING phase lasts a uniform draw in
     * [{@code pendingMin}, {@code pendingMax}] and whose polls all answer.
     */
    LeonardoJob create(LeonardoRequest request, BigDecimal cost, LeonardoJob.Outcome outcome, boolean malformed,
                       SandboxSettings settings, RandomGenerator random) {
        return create(request, cost, outcome, malformed, drawPending(settings, random), 0);
    }

    /** A PENDING duration drawn uniformly in [{@code pendingMin}, {@code pendingMax}]. */
    static Duration drawPending(SandboxSettings settings, RandomGenerator random) {
        long min = settings.pendingMin().toNanos();
        long spread = settings.pendingMax().toNanos() - min;
        return Duration.ofNanos(spread <= 0 ? min : min + (long) (random.nextDouble() * (spread + 1)));
    }

    /**
     * Creates and stores a job.
     *
     * @param pendingPhase how long the job stays PENDING from now (not negative)
     * @param failingPolls how many of its first polls answer 500 ({@link #takePollFailure}), 0 for none
     */
    LeonardoJob create(LeonardoRequest request, BigDecimal cost, LeonardoJob.Outcome outcome, boolean malformed,
                       Duration pendingPhase, int failingPolls) {
        return create(request, cost, outcome, malformed, System.nanoTime() + pendingPhase.toNanos(), failingPolls);
    }

    /**
     * Creates and stores a job.
     *
     * @param readyAtNanos {@link System#nanoTime()} when its PENDING phase ends (a job that waited for a processing
     *                     slot ends its PENDING phase at its slot's start plus its processing time, see {@link LeonardoSlots})
     * @param failingPolls how many of its first polls answer 500 ({@link #takePollFailure}), 0 for none
     */
    LeonardoJob create(LeonardoRequest request, BigDecimal cost, LeonardoJob.Outcome outcome, boolean malformed,
                       long readyAtNanos, int failingPolls) {
        List<String> imageIds = new ArrayList<>(request.numImages());
        for (int i = 0; i < request.numImages(); i++) {
            imageIds.add(UUID.randomUUID().toString());
        }
        long seed = request.seed() != null ? request.seed() : seedFor(request.prompt());
        LeonardoJob job = new LeonardoJob(UUID.randomUUID().toString(), request, seed,
                LocalDateTime.now(ZoneOffset.UTC).format(CREATED_AT), readyAtNanos, outcome, malformed,
                List.copyOf(imageIds), cost);
        if (failingPolls > 0) {
            pollFailures.put(job.id(), new AtomicInteger(failingPolls));
        }
        jobs.put(job.id(), job);
        return job;
    }

    /**
     * Whether this poll of job {@code id} must answer 500: true for the first {@code failingPolls} calls
     * after its creation, false ever after and for jobs without poll failures. Each call uses one up.
     */
    boolean takePollFailure(String id) {
        AtomicInteger left = pollFailures.getIfPresent(id);
        return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    /** Makes the first {@code count} CDN fetches of job {@code id}'s images answer 500 ({@link #takeCdnFailure}). */
    void failCdnFetches(String id, int count) {
        cdnFailures.put(id, new AtomicInteger(count));
    }

    /** Whether this CDN fetch of job {@code id}'s images must answer 500; each call uses one up. */
    boolean takeCdnFailure(String id) {
        AtomicInteger left = cdnFailures.getIfPresent(id);
        return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    /** The job with this id, if it is still kept. */
    Optional<LeonardoJob> find(String id) {
        return Optional.ofNullable(jobs.getIfPresent(id));
    }

    /** How many jobs are kept (approximate). */
    long size() {
        return jobs.estimatedSize();
    }

    /** Forgets every job. */
    void clear() {
        jobs.invalidateAll();
        pollFailures.invalidateAll();
        cdnFailures.invalidateAll();
    }

    /**
     * The seed of a request that sent none: from SHA-256 of the prompt, in 1..{@value #MAX_SEED},
     * so usually above 2^31 like real seeds (WIRE §3.2 shows 5958383965).
     */
    static long seedFor(String prompt) {
        long bits = ByteBuffer.wrap(SandboxImages.sha256(prompt)).getLong();
        return Math.floorMod(bits, MAX_SEED) + 1;
    }
}
