package dev.imagerouter.jobs;

/**
 * How the API renders jobs, for the parts of the job machinery that need its shapes: the error of
 * a failed job (the OpenAI error shape a synchronous request would have got) and the finished job
 * object that a callback carries. Implemented by the API layer; fast, thread-safe.
 */
public interface JobDocuments {

    /** The error a synchronous request failing with {@code failure} would have been answered with. */
    JobRecord.JobError error(Throwable failure);

    /**
     * The job object exactly as {@code GET /v1/images/jobs/{id}} answers it, as JSON bytes (UTF-8).
     * Reads stored images when the job asked for {@code b64_json}: call it off the event loop.
     */
    byte[] document(JobRecord job);
}
