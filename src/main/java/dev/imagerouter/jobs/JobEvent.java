package dev.imagerouter.jobs;

import java.util.Map;

/**
 * One progress event of a job, for {@code GET /v1/images/jobs/{id}/events}.
 *
 * @param name {@code queued}, {@code waiting} (for a provider's permits), {@code attempt_started},
 *             {@code attempt} (one ended), {@code fallback}, or a terminal {@code succeeded},
 *             {@code failed}, {@code cancelled}
 * @param data the event's fields (provider, attempt, from/to/failure kind); empty for terminal events,
 *             whose data is the job object itself
 * @param job  the job as it is after this event
 */
public record JobEvent(String name, Map<String, Object> data, JobRecord job) {

    public JobEvent {
        data = Map.copyOf(data);
    }

    /** Whether this is the job's last event. */
    public boolean terminal() {
        return job.status().terminal() && (name.equals("succeeded") || name.equals("failed") || name.equals("cancelled"));
    }
}
