package dev.imagerouter.jobs;

/** Too many unfinished jobs ({@code router.jobs.max-queued}): the API answers 429. */
public final class JobsFullException extends RuntimeException {

    public JobsFullException(String message) {
        super(message, null, false, false);
    }
}
