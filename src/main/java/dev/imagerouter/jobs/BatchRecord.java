package dev.imagerouter.jobs;

import io.micronaut.serde.annotation.Serdeable;

import java.time.Instant;
import java.util.List;

/**
 * A batch as stored: its jobs, in the order of the request's {@code requests}.
 *
 * @param id      {@code batch_} and 24 hex digits
 * @param client  the client that made it; others get 404
 * @param created when it was accepted
 * @param jobs    the job ids, one per request
 */
@Serdeable
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.ALWAYS)
public record BatchRecord(String id, String client, Instant created, List<String> jobs) {
    public BatchRecord {
        jobs = List.copyOf(jobs);
    }
}
