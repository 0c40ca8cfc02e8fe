package dev.imagerouter.sandbox;

import java.math.BigDecimal;
import java.util.List;

/**
 * One emulated Leonardo generation. Immutable: its status is computed from the clock
 * ({@link #status(long)}), so no timer or thread drives it.
 *
 * @param id           generation id, a random UUID v4
 * @param request      the validated create body
 * @param seed         the request's seed, or one derived from the prompt (see {@link LeonardoJobs#seedFor})
 * @param createdAt    Hasura {@code timestamp} without zone, UTC, e.g. {@code 2024-07-23T16:56:21.208} (WIRE §3.1)
 * @param readyAtNanos {@link System#nanoTime()} when the PENDING phase ends
 * @param outcome      what the job becomes after PENDING
 * @param malformed    whether polls answer truncated JSON (the {@code malformed} fault)
 * @param imageIds     one random UUID per image
 * @param cost         credits charged
 */
record LeonardoJob(String id, LeonardoRequest request, long seed, String createdAt, long readyAtNanos, Outcome outcome,
                   boolean malformed, List<String> imageIds, BigDecimal cost) {

    /** The end state of a job. */
    enum Outcome {
        /** COMPLETE with {@code num_images} images. */
        COMPLETE,
        /** FAILED (the {@code failed} fault). */
        FAILED,
        /** COMPLETE with {@code generated_images: []} (the {@code noimages} fault). */
        NO_IMAGES,
        /** PENDING forever (the {@code timeout} fault). */
        NEVER
    }

    /** {@code PENDING}, {@code COMPLETE} or {@code FAILED} at {@code nowNanos}. */
    String status(long nowNanos) {
        if (outcome == Outcome.NEVER || nowNanos - readyAtNanos < 0) {
            return "PENDING";
        }
        return outcome == Outcome.FAILED ? "FAILED" : "COMPLETE";
    }

    /** Whether image {@code index} can be fetched from the CDN at {@code nowNanos}. */
    boolean hasImage(int index, long nowNanos) {
        return "COMPLETE".equals(status(nowNanos)) && outcome == Outcome.COMPLETE && index >= 0 && index < imageIds.size();
    }
}
