package dev.imagerouter.api;

import dev.imagerouter.jobs.BatchRecord;
import dev.imagerouter.jobs.JobEvent;
import dev.imagerouter.jobs.JobRecord;
import dev.imagerouter.jobs.JobService;
import dev.imagerouter.jobs.JobsFullException;
import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.settings.JobSettings;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.sse.Event;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Named;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * Asynchronous jobs and batches:
 * <ul>
 *   <li>{@code GET /v1/images/jobs/{id}}: the job object ({@link JobView}); another client's job is 404</li>
 *   <li>{@code DELETE /v1/images/jobs/{id}}: cancels a queued job (200 with the job); a running or
 *       finished one is 409 {@code job_not_cancellable}</li>
 *   <li>{@code GET /v1/images/jobs/{id}/events}: server-sent events: {@code job} (the job now), then
 *       {@code waiting}, {@code attempt_started}, {@code accepted}, {@code attempt}, {@code fallback} as they
 *       happen, and a terminal {@code succeeded}, {@code failed} or {@code cancelled} whose data is the job</li>
 *   <li>{@code POST /v1/images/batches} {@code {"requests": [<generation request>, …]}} (1 to
 *       {@code router.jobs.max-batch}, default 1,000): 202, {@code Location: /v1/images/batches/{id}},
 *       {@code {"id","object":"image.generation.batch","status","created","counts"}}; every request is
 *       checked first, and one bad request refuses the batch (400 naming {@code requests[i].<param>})</li>
 *   <li>{@code GET /v1/images/batches/{id}}: the counts and each item's job id, status, result URLs or error</li>
 * </ul>
 * File reads (a job's record, b64_json images) run on the storage-io pool, never on the event loop.
 */
@Controller
public class JobsController {

    private final JobService jobs;
    private final JobView view;
    private final JsonMapper json;
    private final ExecutorService storageIo;
    private final RunningRouter runtime;
    private final GenerationService generations;
    private final ClientLimits limits;
    private final AsyncJobs asyncJobs;
    private final SandboxFaultCheck faultCheck;

    public JobsController(JobService jobs, JobView view, JsonMapper json, @Named("storage-io") ExecutorService storageIo,
                          RunningRouter runtime, GenerationService generations, ClientLimits limits, AsyncJobs asyncJobs,
                          SandboxFaultCheck faultCheck) {
        this.jobs = jobs;
        this.view = view;
        this.json = json;
        this.storageIo = storageIo;
        this.runtime = runtime;
        this.generations = generations;
        this.limits = limits;
        this.asyncJobs = asyncJobs;
        this.faultCheck = faultCheck;
    }

    @Get("/v1/images/jobs/{id}")
    public CompletableFuture<JobView.JobObject> get(HttpRequest<?> http, @PathVariable String id) {
        String client = AsyncJobs.client(http);
        return CompletableFuture.supplyAsync(() -> view.view(find(id, client)), storageIo);
    }

    @Delete("/v1/images/jobs/{id}")
    public CompletableFuture<JobView.JobObject> cancel(HttpRequest<?> http, @PathVariable String id) {
        String client = AsyncJobs.client(http);
        return CompletableFuture.supplyAsync(() -> {
            JobService.CancelOutcome outcome = jobs.cancel(id, client);
            JobRecord job = find(id, client);
            if (outcome == JobService.CancelOutcome.NOT_QUEUED) {
                throw new ApiException(HttpStatus.CONFLICT, "Job " + id + " is " + job.status().wire() + ": only a queued job"
                        + " can be cancelled (a running one may already be billed by its provider).", "invalid_request_error",
                        null, "job_not_cancellable", Map.of(), null);
            }
            return view.view(job);
        }, storageIo);
    }

    @Get(uri = "/v1/images/jobs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM)
    public CompletableFuture<HttpResponse<?>> events(HttpRequest<?> http, @PathVariable String id) {
        String client = AsyncJobs.client(http);
        return CompletableFuture.supplyAsync(() -> {
            find(id, client); // 404 before the stream starts
            Flux<Event<String>> stream = Flux.create(sink -> subscribe(id, client, sink), FluxSink.OverflowStrategy.BUFFER);
            return HttpResponse.ok(stream).contentType(MediaType.TEXT_EVENT_STREAM_TYPE).header("Cache-Control", "no-store");
        }, storageIo);
    }

    private void subscribe(String id, String client, FluxSink<Event<String>> sink) {
        Consumer<JobEvent> listener = event -> {
            if (event.terminal()) {
                storageIo.execute(() -> {
                    sink.next(Event.of(write(view.view(event.job()))).name(event.name()));
                    sink.complete();
                });
            } else {
                sink.next(Event.of(write(event.data())).name(event.name()));
            }
        };
        sink.onDispose(() -> jobs.unsubscribe(id, listener));
        Optional<JobRecord> now = jobs.subscribe(id, client, listener, job -> {
            if (job.status().terminal()) {
                storageIo.execute(() -> {
                    sink.next(Event.of(write(view.view(job))).name(job.status().wire()));
                    sink.complete();
                });
            } else {
                sink.next(Event.of(write(view.view(job))).name("job"));
            }
        });
        if (now.isEmpty()) {
            sink.complete();
        }
    }

    /** A batch: its id, status ({@code running} until every job ended, then {@code completed}), counts. */
    @Serdeable
    record BatchObject(String id, String object, String status, long created, Map<String, Integer> counts,
                       @Nullable List<BatchItem> items) {
    }

    /** One request of a batch: its job, where it is, its image URLs or its error. */
    @Serdeable
    record BatchItem(String id, String status, @Nullable List<String> urls, @Nullable ErrorBody.Detail error) {
    }

    /** {@code {"requests": [...]}} */
    @Serdeable
    record BatchRequest(@Nullable List<JsonNode> requests) {
    }

    @Post(uri = "/v1/images/batches")
    @Consumes(MediaType.ALL)
    public CompletableFuture<HttpResponse<?>> createBatch(HttpRequest<?> http, @Nullable @Body byte[] body) {
        String requestId = http.getAttribute(GenerationController.REQUEST_ID, String.class)
                .orElseGet(GenerationController::newRequestId);
        MediaType type = http.getContentType().orElse(null);
        if (type == null || !"application".equals(type.getType()) || !type.getSubtype().equals("json")) {
            throw new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json.",
                    "invalid_request_error", null, "unsupported_media_type", Map.of(), null);
        }
        JobSettings settings = runtime.config().jobs();
        List<JsonNode> requests = requests(body, settings.maxBatch());
        Optional<String> faults = runtime.config().sandbox().enabled()
                ? Optional.ofNullable(http.getHeaders().get("X-Sandbox-Fault")) : Optional.empty();
        GenerationRequestParser parser = new GenerationRequestParser(json, runtime.config().api().maxPromptLength(), faultCheck);
        String client = AsyncJobs.client(http);
        Optional<String> callback = asyncJobs.callbackUrl(http, client);
        boolean noCache = http.getHeaders().getAll("Cache-Control").stream().anyMatch(v -> v.toLowerCase().contains("no-cache"));
        String base = GenerationController.requestBase(http);
        String limitsName = client.isEmpty() ? ClientLimits.ANONYMOUS : client;
        List<JobService.NewJob> newJobs = new ArrayList<>();
        int images = 0;
        for (int i = 0; i < requests.size(); i++) {
            GenerationRequestParser.Parsed parsed;
            try {
                parsed = parser.parse(json.writeValueAsBytes(requests.get(i)), faults);
                if (parsed.stream()) {
                    throw ApiException.invalid("stream", "invalid_value", "\"stream\" is not available in a batch.");
                }
                generations.checkServable(parsed.request());
            } catch (ApiException e) {
                throw new ApiException(e.status(), "requests[" + i + "]: " + e.getMessage(), e.type(),
                        "requests[" + i + "]" + (e.param() == null ? "" : "." + e.param()), e.code(), e.headers(), null);
            } catch (dev.imagerouter.routing.RequestUnsupportedException e) {
                throw ApiException.invalid("requests[" + i + "]." + e.reason().param(), "invalid_value",
                        "requests[" + i + "]: " + e.getMessage());
            } catch (IOException e) {
                throw ApiException.invalid("requests[" + i + "]", "invalid_value", "requests[" + i + "] is not a JSON object.");
            }
            int n = parsed.request().n();
            images += n;
            newJobs.add(new JobService.NewJob(client, requestId + "-" + i, parsed.request(), noCache,
                    AsyncJobs.responseFormat(parsed), base, callback, () -> limits.releaseImages(limitsName, n)));
        }
        int reserved = images;
        int perDay = runtime.config().auth().limits().imagesPerDay();
        if (limits.sharesImages(perDay)) { // the day's allowance is counted in Redis, for every replica
            return limits.reserveImagesShared(limitsName, reserved, perDay)
                    .thenCompose(v -> createReservedBatch(client, limitsName, newJobs, reserved, requestId));
        }
        limits.reserveImages(limitsName, reserved, perDay);
        return createReservedBatch(client, limitsName, newJobs, reserved, requestId);
    }

    private CompletableFuture<HttpResponse<?>> createReservedBatch(String client, String limitsName, List<JobService.NewJob> newJobs,
                                                           int reserved, String requestId) {
        String batchId = JobService.newId("batch");
        CompletableFuture<List<JobRecord>> created;
        try {
            created = jobs.create(newJobs, Optional.of(batchId));
        } catch (JobsFullException e) {
            limits.releaseImages(limitsName, reserved);
            throw AsyncJobs.full(e);
        } catch (RuntimeException e) { // refused at once (e.g. shutting down): nothing was queued
            limits.releaseImages(limitsName, reserved);
            throw e;
        }
        created.whenComplete((list, error) -> {
            if (error != null) {
                limits.releaseImages(limitsName, reserved); // refused later (max-queued across replicas), or not kept
            }
        });
        return AsyncJobs.fullIs429(created).thenCompose(list -> {
            BatchRecord batch = new BatchRecord(batchId, client, list.isEmpty() ? Instant.now() : list.get(0).created(),
                    list.stream().map(JobRecord::id).toList());
            return jobs.saveBatch(batch).thenApply(v -> batch);
        }).thenApplyAsync(batch -> HttpResponse.status(HttpStatus.ACCEPTED).body(batchObject(batch, false))
                .header("Location", "/v1/images/batches/" + batchId)
                .header(GenerationController.REQUEST_ID, requestId), storageIo);
    }

    @Get("/v1/images/batches/{id}")
    public CompletableFuture<BatchObject> getBatch(HttpRequest<?> http, @PathVariable String id) {
        String client = AsyncJobs.client(http);
        return CompletableFuture.supplyAsync(() -> batchObject(jobs.batch(id, client)
                .orElseThrow(() -> ApiException.notFound("No batch " + id + ".")), true), storageIo);
    }

    private BatchObject batchObject(BatchRecord batch, boolean items) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("total", batch.jobs().size());
        for (JobRecord.Status status : JobRecord.Status.values()) {
            counts.put(status.wire(), 0);
        }
        List<BatchItem> list = new ArrayList<>();
        for (String jobId : batch.jobs()) {
            Optional<JobRecord> job = jobs.get(jobId, batch.client());
            String status = job.map(j -> j.status().wire()).orElse("expired");
            counts.merge(status, 1, Integer::sum);
            if (items) {
                List<String> urls = job.filter(j -> j.result() != null).map(j -> j.result().record().images().stream()
                        .map(image -> runtime.config().storage().fileUrl(image.fileName(), j.request().base())).toList())
                        .orElse(null);
                ErrorBody.Detail error = job.filter(j -> j.error() != null).map(j -> new ErrorBody.Detail(j.error().message(),
                        j.error().type(), j.error().param(), j.error().code())).orElse(null);
                list.add(new BatchItem(jobId, status, urls, error));
            }
        }
        boolean done = counts.get("queued") == 0 && counts.get("running") == 0;
        return new BatchObject(batch.id(), "image.generation.batch", done ? "completed" : "running",
                batch.created().getEpochSecond(), counts, items ? list : null);
    }

    private List<JsonNode> requests(byte[] body, int max) {
        BatchRequest request;
        try {
            request = body == null ? null : json.readValue(body, BatchRequest.class);
        } catch (IOException | RuntimeException e) {
            request = null;
        }
        if (request == null || request.requests() == null) {
            throw ApiException.invalid("requests", "invalid_value", "The body must be {\"requests\": [<generation request>, …]}.");
        }
        if (request.requests().isEmpty() || request.requests().size() > max) {
            throw ApiException.invalid("requests", "invalid_value", "A batch carries 1 to " + max
                    + " requests (router.jobs.max-batch), not " + request.requests().size() + ".");
        }
        return request.requests();
    }

    private JobRecord find(String id, String client) {
        return jobs.get(id, client).orElseThrow(() -> ApiException.notFound("No job " + id + "."));
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
