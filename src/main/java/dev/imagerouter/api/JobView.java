package dev.imagerouter.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.imagerouter.cache.CachedGeneration;
import dev.imagerouter.jobs.JobDocuments;
import dev.imagerouter.jobs.JobRecord;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.json.JsonMapper;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The job object of the API, {@code GET /v1/images/jobs/{id}} and the callbacks' body:
 * <pre>
 * {"id": "job_…", "object": "image.generation.job", "status": "queued|running|succeeded|failed|cancelled",
 *  "created": 1764900000, "updated": 1764900012, "request_hash": "…", "attempts": [ … the trail … ],
 *  "result": { … exactly the synchronous answer's body … } | null,
 *  "error": {"message", "type", "param", "code"} | null,
 *  "callback": {"url", "state": "pending|delivered|failed", "deliveries": [ … ]} (when there is one),
 *  "batch_id": "batch_…" (in a batch)}
 * </pre>
 * Times are Unix seconds. Renders {@code result} from the stored generation: with {@code b64_json}
 * it reads the images, so render off the event loop.
 */
@Singleton
final class JobView implements JobDocuments {

    /** The job object. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record JobObject(String id, String object, String status, long created, long updated,
                     @JsonProperty("request_hash") String requestHash, List<GenerationResponse.AttemptInfo> attempts,
                     @Nullable GenerationResponse result, @Nullable ErrorBody.Detail error,
                     @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable JobRecord.Callback callback,
                     @JsonProperty("batch_id") @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String batchId) {
    }

    static final String OBJECT = "image.generation.job";

    private final Answers answers;
    private final JsonMapper json;

    JobView(Answers answers, JsonMapper json) {
        this.answers = answers;
        this.json = json;
    }

    /** The job object of {@code job}. */
    JobObject view(JobRecord job) {
        GenerationResponse result = null;
        if (job.result() != null) {
            JobRecord.JobRequest r = job.request();
            boolean both = "both".equals(r.responseFormat());
            boolean base64 = both || "b64_json".equals(r.responseFormat());
            boolean url = both || !base64;
            result = answers.render(new CachedGeneration(job.result().record(), job.attempts()), job.result().cached(),
                    job.requestHash(), r.image(), url, base64, r.base());
        }
        ErrorBody.Detail error = job.error() == null ? null
                : new ErrorBody.Detail(job.error().message(), job.error().type(), job.error().param(), job.error().code());
        return new JobObject(job.id(), OBJECT, job.status().wire(), job.created().getEpochSecond(),
                job.updated().getEpochSecond(), job.requestHash(), GenerationResponse.AttemptInfo.of(job.attempts()), result,
                error, job.callback(), job.batchId());
    }

    @Override
    public JobRecord.JobError error(Throwable failure) {
        ApiException e = ApiErrorHandlers.toApiException(failure);
        return new JobRecord.JobError(e.status().getCode(), e.getMessage(), e.type(), e.param(), e.code());
    }

    @Override
    public byte[] document(JobRecord job) {
        try {
            return json.writeValueAsBytes(view(job));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
