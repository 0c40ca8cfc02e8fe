package dev.imagerouter.jobs;

import dev.imagerouter.storage.FileSync;
import dev.imagerouter.vocabulary.ImageRequest;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file-per-job store: round trip, coalescing, the move to done/, recovery's view, retention. */
class FileJobStoreTest {

    @TempDir
    Path dir;
    private FileJobStore store;

    private FileJobStore store() {
        store = new FileJobStore(dir, ObjectMapper.getDefault(), FileSync.DEFAULT);
        return store;
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private static JobRecord queued(String id, Instant created) {
        ImageRequest image = new ImageRequest("a fox", Optional.of("blur"), 1024, 768, 2, "high", Optional.empty(),
                Optional.of(4_294_967_296L), "webp", Optional.of("leonardo=429"));
        return new JobRecord(id, "blog", "req_1", JobRecord.Status.QUEUED, created, created, "ab".repeat(32),
                new JobRecord.JobRequest(image, true, "b64_json", "http://localhost:8080"), List.of(), null, null, Set.of(),
                null, null, new JobRecord.Callback("https://hooks.example.com/x", JobRecord.Callback.PENDING, List.of()), null);
    }

    @Test
    void aSavedJob_readsBackEqual_includingItsRequest() {
        FileJobStore s = store();
        JobRecord job = queued(JobService.newId("job"), Instant.parse("2026-12-06T10:00:00Z"))
                .calling("leonardo-phoenix", Instant.parse("2026-12-06T10:00:01Z"))
                .accepted(new JobRecord.Accepted("leonardo-phoenix", "5d5f1319-aaaa"), Instant.parse("2026-12-06T10:00:02Z"));
        s.save(job).join();
        JobRecord read = store().load(job.id()).orElseThrow();
        assertEquals(job, read);
        assertEquals(Optional.of(4_294_967_296L), read.request().image().seed());
        assertEquals(List.of(read), s.loadActive());
    }

    @Test
    void savesOfOneJob_endWithTheNewestOnDisk() {
        FileJobStore s = store();
        JobRecord job = queued(JobService.newId("job"), Instant.now());
        CompletableFuture<?>[] saves = new CompletableFuture<?>[50];
        JobRecord last = job;
        for (int i = 0; i < 50; i++) {
            last = last.with(JobRecord.Status.QUEUED, Instant.ofEpochSecond(1_800_000_000L + i));
            saves[i] = s.save(last);
        }
        CompletableFuture.allOf(saves).join();
        assertEquals(last, store().load(job.id()).orElseThrow());
    }

    @Test
    void aSettledJob_movesToDone_andRecoveryNoLongerSeesIt_whileAnUnsettledOneStays() {
        FileJobStore s = store();
        Instant now = Instant.now();
        JobRecord running = queued(JobService.newId("job"), now).calling("openai-gpt-image-2", now);
        JobRecord failed = queued(JobService.newId("job"), now)
                .failed(new JobRecord.JobError(502, "Every provider in the chain failed.", "server_error", null,
                        "all_providers_failed"), List.of(), now);
        s.save(running).join();
        s.save(failed).join();
        assertEquals(2, s.loadActive().size(), "a failed job with a pending callback is not settled");
        JobRecord settled = failed.callback(new JobRecord.Callback("https://hooks.example.com/x",
                JobRecord.Callback.DELIVERED, List.of()), now);
        s.save(settled).join();
        assertEquals(List.of(running.id()), s.loadActive().stream().map(JobRecord::id).toList());
        assertTrue(Files.exists(dir.resolve("done").resolve(settled.id() + ".json")));
        assertFalse(Files.exists(dir.resolve("active").resolve(settled.id() + ".json")));
        assertEquals(settled, s.load(settled.id()).orElseThrow());
    }

    @Test
    void aCrashBetweenTheDoneWriteAndTheActiveDelete_leavesTheDoneVersion() throws Exception {
        FileJobStore s = store();
        Instant now = Instant.now();
        JobRecord job = queued(JobService.newId("job"), now);
        s.save(job).join();
        JobRecord done = job.cancelled(now).callback(new JobRecord.Callback("https://h.example.com/x",
                JobRecord.Callback.FAILED, List.of()), now);
        s.save(done).join();
        // put the old active file back, as if the process died before deleting it
        Files.writeString(dir.resolve("active").resolve(job.id() + ".json"), new String(ObjectMapper.getDefault().writeValueAsBytes(job)));
        assertEquals(List.of(), s.loadActive());
        assertFalse(Files.exists(dir.resolve("active").resolve(job.id() + ".json")));
        assertEquals(done, s.load(job.id()).orElseThrow());
    }

    @Test
    void retention_deletesSettledJobsAndBatchesOlderThanTheCutoff_only() {
        FileJobStore s = store();
        Instant now = Instant.now();
        JobRecord settled = queued(JobService.newId("job"), now).cancelled(now)
                .callback(new JobRecord.Callback("https://h.example.com/x", JobRecord.Callback.DELIVERED, List.of()), now);
        JobRecord active = queued(JobService.newId("job"), now);
        s.save(settled).join();
        s.save(active).join();
        s.saveBatch(new BatchRecord(JobService.newId("batch"), "blog", now, List.of(settled.id()))).join();
        assertEquals(0, s.sweep(now.minusSeconds(3600)), "younger than the cutoff: kept");
        assertTrue(s.load(settled.id()).isPresent());
        assertEquals(2, s.sweep(now.plusSeconds(3600)), "the settled job and the batch");
        assertTrue(s.load(settled.id()).isEmpty());
        assertTrue(s.load(active.id()).isPresent(), "an unfinished job is never swept");
    }

    @Test
    void idsOutsideTheFormat_areNeverLookedUp() {
        FileJobStore s = store();
        assertTrue(s.load("../../etc/passwd").isEmpty());
        assertTrue(s.load("job_XYZ").isEmpty());
        assertTrue(s.loadBatch("batch_/..").isEmpty());
    }
}
