package dev.imagerouter.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.vocabulary.ImageRequest;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One asynchronous job as it is stored (one JSON file) and as the API renders it. Immutable: every
 * change makes a new record ({@code with...}).
 *
 * @param id          {@code job_} and 24 hex digits
 * @param client      the client that made it ({@code ""}: the anonymous client of open sandbox mode); others get 404
 * @param requestId   the {@code X-Request-Id} of the request that created it
 * @param status      where it is
 * @param created     when it was accepted
 * @param updated     its last change
 * @param requestHash the request hash (the cache key)
 * @param request     what to generate, and how to answer
 * @param attempts    the attempts trail so far (provider, outcome, failure kind, ...)
 * @param calling     the provider being called now (recorded durably before the call starts); after
 *                    a crash a call left here may have been billed, so it is never repeated
 * @param accepted    the provider job that call created (a Leonardo generationId): resumed after a crash
 * @param interrupted providers whose call a restart interrupted (skipped with reason {@code INTERRUPTED})
 * @param result      on success: the stored generation, whether it came from the cache
 * @param error       on failure: the OpenAI error shape and the HTTP status a synchronous request would have had
 * @param callback    where the finished job is posted, and each delivery's outcome
 * @param batchId     the batch it belongs to, or null
 */
@Serdeable
@JsonInclude(JsonInclude.Include.ALWAYS)
public record JobRecord(String id, String client, @JsonProperty("request_id") String requestId, Status status,
                        Instant created, Instant updated, @JsonProperty("request_hash") String requestHash,
                        JobRequest request, List<Attempt> attempts, @Nullable String calling,
                        @Nullable Accepted accepted, Set<String> interrupted, @Nullable Result result,
                        @Nullable JobError error, @Nullable Callback callback, @JsonProperty("batch_id") @Nullable String batchId) {

    /** A job's status; written in lower case. */
    @Serdeable
    public enum Status {
        /** Accepted, waiting to start or for a provider's permits; may be cancelled. */
        QUEUED,
        /** A provider call was started (or it joined an identical generation in flight). */
        RUNNING,
        /** Images stored; {@code result} holds the answer. */
        SUCCEEDED,
        /** No image; {@code error} says why. */
        FAILED,
        /** Cancelled while queued; nothing was paid for it. */
        CANCELLED;

        /** {@code queued}, {@code running}, ... */
        @com.fasterxml.jackson.annotation.JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the job has ended (its callback may still be delivered). */
        public boolean terminal() {
            return this == SUCCEEDED || this == FAILED || this == CANCELLED;
        }
    }

    /**
     * What to generate and how to answer.
     *
     * @param image          the normalised request
     * @param noCache        {@code Cache-Control: no-cache}
     * @param responseFormat {@code url} or {@code b64_json}
     * @param base           {@code scheme://host[:port]} the client addressed, for image URLs
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record JobRequest(ImageRequest image, @JsonProperty("no_cache") boolean noCache,
                             @JsonProperty("response_format") String responseFormat, String base) {
    }

    /** A provider job accepted for this job: {@code provider}'s id {@code jobId}. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Accepted(String provider, @JsonProperty("job_id") String jobId) {
    }

    /**
     * A succeeded job's generation.
     *
     * @param record the stored generation (images, provider, model, cost, usage)
     * @param cached whether it was served from the cache (or joined an identical generation)
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Result(ImageStore.GenerationRecord record, boolean cached) {
    }

    /**
     * A failed job's error: the OpenAI error shape's fields and the HTTP status a synchronous request
     * would have been answered with.
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record JobError(int status, String message, String type, @Nullable String param, @Nullable String code) {
    }

    /**
     * The job's completion callback.
     *
     * @param url        where the finished job is POSTed
     * @param state      {@code pending} (not yet delivered), {@code delivered} or {@code failed} (given up)
     * @param deliveries each delivery's outcome, oldest first
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Callback(String url, String state, List<Delivery> deliveries) {
        public static final String PENDING = "pending";
        public static final String DELIVERED = "delivered";
        public static final String FAILED = "failed";

        public Callback {
            deliveries = deliveries == null ? List.of() : List.copyOf(deliveries);
        }

        /** Whether nothing more will be delivered. */
        public boolean settled() {
            return !PENDING.equals(state);
        }
    }

    /**
     * One delivery of a callback.
     *
     * @param attempt    1 for the first delivery
     * @param at         when it was sent
     * @param httpStatus the receiver's status, or null (network error, timeout)
     * @param error      what went wrong, or null
     * @param outcome    {@code delivered}, {@code retrying} or {@code gave_up}
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Delivery(int attempt, Instant at, @JsonProperty("http_status") @Nullable Integer httpStatus,
                           @Nullable String error, String outcome) {
    }

    public JobRecord {
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
        interrupted = interrupted == null ? Set.of() : Set.copyOf(interrupted);
    }

    /** Whether nothing more will happen to this job: it ended and its callback (if any) is settled. */
    public boolean settled() {
        return status.terminal() && (callback == null || callback.settled());
    }

    JobRecord with(Status newStatus, Instant now) {
        return new JobRecord(id, client, requestId, newStatus, created, now, requestHash, request, attempts, calling,
                accepted, interrupted, result, error, callback, batchId);
    }

    JobRecord calling(String provider, Instant now) {
        // an accepted job of an earlier provider whose attempt timed out is still running (tracked late):
        // it stays recorded, so that a restart resumes it instead of creating the request again
        return new JobRecord(id, client, requestId, Status.RUNNING, created, now, requestHash, request, attempts, provider,
                accepted, interrupted, result, error, callback, batchId);
    }

    /**
     * The call to {@code calling} did not go out after all (its record could not be kept where other
     * replicas read it): queued again, unless an earlier provider's accepted job still runs. The job runs
     * its chain again later, so every provider it already called without an answer that proves the call
     * was refused (no HTTP status: a timeout or a broken connection; or a 2xx it could not read) joins
     * {@link #interrupted()}: that call may have been accepted and paid, so the next run skips it
     * (reason {@code INTERRUPTED}) instead of paying again. A refused call (429, 5xx, 4xx) may be tried again.
     */
    JobRecord notCalling(Instant now) {
        Set<String> skip = new java.util.LinkedHashSet<>(interrupted);
        for (Attempt a : attempts) {
            boolean refused = a.httpStatus() != null && (a.httpStatus() < 200 || a.httpStatus() >= 300);
            if (a.outcome() == Attempt.Outcome.FAILURE && !refused) {
                skip.add(a.provider());
            }
        }
        return new JobRecord(id, client, requestId, accepted == null ? Status.QUEUED : status, created, now, requestHash,
                request, attempts, null, accepted, skip, result, error, callback, batchId);
    }

    JobRecord accepted(Accepted job, Instant now) {
        return new JobRecord(id, client, requestId, status, created, now, requestHash, request, attempts, calling,
                job, interrupted, result, error, callback, batchId);
    }

    JobRecord attempt(Attempt attempt, Instant now) {
        List<Attempt> more = new ArrayList<>(attempts);
        more.add(attempt);
        boolean ended = calling != null && calling.equals(attempt.provider());
        // the accepted job ends with its attempt, except when the attempt timed out: the job then runs on
        // (tracked to its end in this process) and a restart must resume it, never create it again
        boolean jobGoesOn = attempt.outcome() == Attempt.Outcome.FAILURE
                && attempt.failureKind() == dev.imagerouter.vocabulary.FailureKind.TIMEOUT;
        boolean jobEnded = accepted != null && accepted.provider().equals(attempt.provider()) && !jobGoesOn;
        return new JobRecord(id, client, requestId, status, created, now, requestHash, request, more,
                ended ? null : calling, jobEnded ? null : accepted, interrupted, result, error, callback, batchId);
    }

    JobRecord interrupted(Set<String> providers, List<Attempt> trail, Instant now) {
        return new JobRecord(id, client, requestId, status, created, now, requestHash, request, trail, null, accepted,
                providers, result, error, callback, batchId);
    }

    JobRecord succeeded(Result r, List<Attempt> trail, Instant now) {
        return new JobRecord(id, client, requestId, Status.SUCCEEDED, created, now, requestHash, request,
                trail.isEmpty() ? attempts : trail, null, null, interrupted, r, null, callback, batchId);
    }

    JobRecord failed(JobError e, List<Attempt> trail, Instant now) {
        return new JobRecord(id, client, requestId, Status.FAILED, created, now, requestHash, request,
                trail.isEmpty() ? attempts : trail, null, null, interrupted, null, e, callback, batchId);
    }

    JobRecord cancelled(Instant now) {
        return new JobRecord(id, client, requestId, Status.CANCELLED, created, now, requestHash, request, attempts, null,
                null, interrupted, null, null, callback, batchId);
    }

    JobRecord callback(Callback c, Instant now) {
        return new JobRecord(id, client, requestId, status, created, now, requestHash, request, attempts, calling,
                accepted, interrupted, result, error, c, batchId);
    }
}
