package dev.imagerouter.jobs;

import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.vocabulary.ImageRequest;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What a job records about its provider calls: what a restart needs to resume, never to create again. */
class JobRecordTest {

    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
    private static final JobRecord.Accepted LEONARDO_JOB = new JobRecord.Accepted("leonardo-phoenix", "5d5f1319-aaaa");

    private static JobRecord queued() {
        ImageRequest image = new ImageRequest("a fox", Optional.empty(), 1024, 1024, 1, "auto", Optional.empty(),
                Optional.empty(), "png", Optional.empty());
        return new JobRecord("job_000000000000000000000001", "", "req_1", JobRecord.Status.QUEUED, NOW, NOW, "ab".repeat(32),
                new JobRecord.JobRequest(image, false, "url", "http://localhost"), List.of(), null, null, Set.of(), null, null,
                null, null);
    }

    @Test
    void anAcceptedJobWhoseAttemptTimedOut_staysRecorded_whileTheFallbackIsCalled() {
        JobRecord r = queued().calling("leonardo-phoenix", NOW).accepted(LEONARDO_JOB, NOW)
                .attempt(new Attempt("leonardo-phoenix", Attempt.FAILURE, FailureKind.TIMEOUT, null, 30_000, "timeout"), NOW)
                .calling("openai-gpt-image-2", NOW);
        assertEquals(LEONARDO_JOB, r.accepted(), "the late Leonardo job is resumed after a restart, not created again");
        assertEquals("openai-gpt-image-2", r.calling());
    }

    @Test
    void anAcceptedJobThatEnded_isForgotten() {
        JobRecord failed = queued().calling("leonardo-phoenix", NOW).accepted(LEONARDO_JOB, NOW)
                .attempt(new Attempt("leonardo-phoenix", Attempt.FAILURE, FailureKind.GENERATION_FAILED, null, 9_000, "FAILED"), NOW);
        assertNull(failed.accepted());
        assertNull(failed.calling());
        JobRecord succeeded = queued().calling("leonardo-phoenix", NOW).accepted(LEONARDO_JOB, NOW)
                .attempt(new Attempt("leonardo-phoenix", Attempt.SUCCESS, null, null, 9_000, null), NOW);
        assertNull(succeeded.accepted());
    }

    @Test
    void aRestartDuringTheFallback_resumesTheLateJob_andSkipsTheInterruptedCall() {
        JobRecord r = queued().calling("leonardo-phoenix", NOW).accepted(LEONARDO_JOB, NOW)
                .attempt(new Attempt("leonardo-phoenix", Attempt.FAILURE, FailureKind.TIMEOUT, null, 30_000, "timeout"), NOW)
                .calling("openai-gpt-image-2", NOW)
                .interrupted(Set.of("openai-gpt-image-2"), List.of(), NOW);
        assertEquals(LEONARDO_JOB, r.accepted());
        assertNull(r.calling());
        assertEquals(Set.of("openai-gpt-image-2"), r.interrupted());
    }

    @Test
    void aCallParkedAfterAnAmbiguousOne_runsAgainWithoutTheAmbiguousProvider() {
        // Leonardo's create got no answer (it may have been accepted), the fallback's call waits for Redis and is parked
        JobRecord ambiguous = queued().calling("leonardo-phoenix", NOW)
                .attempt(new Attempt("leonardo-phoenix", Attempt.FAILURE, FailureKind.NETWORK, null, 30_000, "reset"), NOW)
                .calling("openai-gpt-image-2", NOW)
                .notCalling(NOW);
        assertEquals(JobRecord.Status.QUEUED, ambiguous.status());
        assertNull(ambiguous.calling());
        assertEquals(Set.of("leonardo-phoenix"), ambiguous.interrupted(), "the next run does not create at Leonardo again");

        // a call Leonardo refused (429) proved nothing was created: the next run may try it again
        JobRecord refused = queued().calling("leonardo-phoenix", NOW)
                .attempt(new Attempt("leonardo-phoenix", Attempt.FAILURE, FailureKind.RATE_LIMITED, 429, 5, "429"), NOW)
                .calling("openai-gpt-image-2", NOW)
                .notCalling(NOW);
        assertEquals(Set.of(), refused.interrupted());
    }
}
