package dev.imagerouter.vocabulary;

/**
 * Hears that a provider accepted a paid job for a generation (Leonardo: the create answered a
 * {@code generationId}). From then on the generation must not be created again; the router tracks
 * the job to its end. Called at most once per generation, on whatever thread saw the answer; must
 * be fast and must not throw.
 */
@FunctionalInterface
public interface JobListener {

    /** @param jobId the provider's id of the job, e.g. a Leonardo generationId */
    void accepted(String jobId);

    /** Hears nothing. */
    JobListener NONE = jobId -> {
    };
}
