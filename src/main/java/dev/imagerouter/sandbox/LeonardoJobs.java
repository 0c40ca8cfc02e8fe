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
import java.util.random.RandomGenerator;

/**
 * The emulated Leonardo job store: generations by id in a Caffeine cache (expire 1 h after
 * creation, at most 100,000). Real Leonardo images never expire (WIRE §6.3); the emulator forgets
 * them to bound memory, and a forgotten id polls as {@code {"generations_by_pk":null}}. Thread-safe.
 */
@Singleton
class LeonardoJobs {

    /** How long a generation is kept. */
    static final Duration RETENTION = Duration.ofHours(1);
    /** How many generations are kept at most. */
    static final long MAX_JOBS = 100_000;
    /** Largest seed for non-Flux models (WIRE §2.1 {@code seed}). */
    static final long MAX_SEED = 9_999_999_998L;

    private static final DateTimeFormatter CREATED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS");

    private final Cache<String, LeonardoJob> jobs = Caffeine.newBuilder()
            .expireAfterWrite(RETENTION)
            .maximumSize(MAX_JOBS)
            .build();

    /**
     * Creates and stores a job whose PENDING phase lasts a uniform draw in
     * [{@code pendingMin}, {@code pendingMax}].
     */
    LeonardoJob create(LeonardoRequest request, BigDecimal cost, LeonardoJob.Outcome outcome, boolean malformed,
                       SandboxSettings settings, RandomGenerator random) {
        long min = settings.pendingMin().toNanos();
        long spread = settings.pendingMax().toNanos() - min;
        long pending = spread <= 0 ? min : min + (long) (random.nextDouble() * (spread + 1));
        List<String> imageIds = new ArrayList<>(request.numImages());
        for (int i = 0; i < request.numImages(); i++) {
            imageIds.add(UUID.randomUUID().toString());
        }
        long seed = request.seed() != null ? request.seed() : seedFor(request.prompt());
        LeonardoJob job = new LeonardoJob(UUID.randomUUID().toString(), request, seed,
                LocalDateTime.now(ZoneOffset.UTC).format(CREATED_AT), System.nanoTime() + pending, outcome, malformed,
                List.copyOf(imageIds), cost);
        jobs.put(job.id(), job);
        return job;
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
