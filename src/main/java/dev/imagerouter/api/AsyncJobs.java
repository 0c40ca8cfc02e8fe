package dev.imagerouter.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.imagerouter.callbacks.CallbackDestinations;
import dev.imagerouter.jobs.JobRecord;
import dev.imagerouter.jobs.JobService;
import dev.imagerouter.jobs.JobsFullException;
import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.routing.RunningRouter;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * {@code POST /v1/images/generations} with {@code Prefer: respond-async} (RFC 7240): checks the
 * request as a synchronous one would be checked, reserves the client's daily images, resolves the
 * callback URL ({@code X-Router-Callback-Url} or the client's default), creates the job durably and
 * answers {@code 202 Accepted} with {@code Location: /v1/images/jobs/{id}} and the job object (a
 * request the cache answers is a job born {@code succeeded}). An {@code Idempotency-Key} replayed
 * with the same request answers the same job (remembered for {@code router.cache.ttl}, in memory).
 */
@Singleton
final class AsyncJobs {

    /** Request header: where the finished job is POSTed. */
    static final String CALLBACK_URL = "X-Router-Callback-Url";
    /** Path prefix of a job, as in {@code Location}. */
    static final String JOBS_PATH = "/v1/images/jobs/";

    private final JobService jobs;
    private final GenerationService generations;
    private final RunningRouter runtime;
    private final ClientLimits limits;
    private final JobView view;
    private final CallbackDestinations destinations;
    private final ExecutorService storageIo;
    private final Cache<String, Keyed> idempotencyKeys;

    private record Keyed(String requestHash, CompletableFuture<JobRecord> job) {
    }

    AsyncJobs(JobService jobs, GenerationService generations, RunningRouter runtime, ClientLimits limits, JobView view,
              CallbackDestinations destinations, @Named("storage-io") ExecutorService storageIo) {
        this.jobs = jobs;
        this.generations = generations;
        this.runtime = runtime;
        this.limits = limits;
        this.view = view;
        this.destinations = destinations;
        this.storageIo = storageIo;
        this.idempotencyKeys = Caffeine.newBuilder().expireAfterWrite(runtime.config().cache().ttl())
                .maximumSize(100_000).build();
    }

    /** Whether the request says {@code Prefer: respond-async} (RFC 7240 §4.1; among other preferences too). */
    static boolean wantsAsync(HttpRequest<?> http) {
        for (String prefer : http.getHeaders().getAll("Prefer")) {
            for (String token : prefer.split(",")) {
                String name = token.split(";", 2)[0].trim();
                if (name.equalsIgnoreCase("respond-async")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The job's client: its name, or {@code ""} for the anonymous client of open sandbox mode. */
    static String client(HttpRequest<?> http) {
        return http.getAttribute(ApiErrorHandlers.CLIENT_NAME, String.class).orElse("");
    }

    /** The callback URL of a request: its header, else the client's default; checked. */
    Optional<String> callbackUrl(HttpRequest<?> http, String client) {
        Optional<String> url = Optional.ofNullable(http.getHeaders().get(CALLBACK_URL))
                .or(() -> Optional.ofNullable(runtime.config().jobs().callbackUrls().get(client)));
        url.flatMap(destinations::check).ifPresent(reason -> {
            throw ApiException.invalid(CALLBACK_URL, "invalid_callback_url", reason);
        });
        return url;
    }

    /** The {@code response_format} a job answers with: {@code url}, {@code b64_json} or {@code both}. */
    static String responseFormat(GenerationRequestParser.Parsed parsed) {
        return parsed.bothFormats() ? "both" : parsed.base64() ? "b64_json" : "url";
    }

    CompletableFuture<HttpResponse<?>> create(HttpRequest<?> http, GenerationRequestParser.Parsed parsed, String requestId,
                                              Optional<String> idempotencyKey, long start) {
        if (parsed.stream()) {
            throw ApiException.invalid("stream", "invalid_value", "\"stream\": true cannot be combined with"
                    + " Prefer: respond-async; follow the job's progress at GET " + JOBS_PATH + "{id}/events.");
        }
        generations.checkServable(parsed.request());
        String client = client(http);
        Optional<String> callback = callbackUrl(http, client);
        String hash = generations.requestHash(parsed.request(), client.isEmpty() ? Optional.empty() : Optional.of(client));
        if (idempotencyKey.isPresent()) {
            CompletableFuture<JobRecord> mine = new CompletableFuture<>();
            Keyed keyed = idempotencyKeys.asMap().putIfAbsent(client + "\n" + idempotencyKey.get(), new Keyed(hash, mine));
            if (keyed != null) {
                if (!keyed.requestHash().equals(hash)) {
                    throw new ApiException(HttpStatus.UNPROCESSABLE_ENTITY, "This Idempotency-Key was used with a different"
                            + " request; use a new key.", "invalid_request_error", GenerationController.IDEMPOTENCY_KEY,
                            "idempotency_key_reused", Map.of(), null);
                }
                return keyed.job().thenApplyAsync(first -> accepted(jobs.get(first.id(), client).orElse(first), requestId),
                        storageIo);
            }
            CompletableFuture<HttpResponse<?>> answer;
            try {
                answer = start(http, parsed, requestId, client, callback);
            } catch (RuntimeException e) {
                idempotencyKeys.invalidate(client + "\n" + idempotencyKey.get());
                mine.completeExceptionally(e);
                throw e;
            }
            return answer.whenComplete((r, e) -> {
                if (e != null) {
                    idempotencyKeys.invalidate(client + "\n" + idempotencyKey.get());
                    mine.completeExceptionally(e);
                } else {
                    mine.complete(jobOf(r));
                }
            });
        }
        return start(http, parsed, requestId, client, callback);
    }

    private CompletableFuture<HttpResponse<?>> start(HttpRequest<?> http, GenerationRequestParser.Parsed parsed,
                                                     String requestId, String client, Optional<String> callback) {
        String limitsName = client.isEmpty() ? ClientLimits.ANONYMOUS : client;
        int images = parsed.request().n();
        int perDay = runtime.config().auth().limits().imagesPerDay();
        if (limits.sharesImages(perDay)) { // the day's allowance is counted in Redis, for every replica
            return limits.reserveImagesShared(limitsName, images, perDay)
                    .thenCompose(v -> startReserved(http, parsed, requestId, client, callback, limitsName, images));
        }
        limits.reserveImages(limitsName, images, perDay);
        return startReserved(http, parsed, requestId, client, callback, limitsName, images);
    }

    private CompletableFuture<HttpResponse<?>> startReserved(HttpRequest<?> http, GenerationRequestParser.Parsed parsed,
                                                             String requestId, String client, Optional<String> callback,
                                                             String limitsName, int images) {
        boolean noCache = http.getHeaders().getAll("Cache-Control").stream().anyMatch(v -> v.toLowerCase().contains("no-cache"));
        JobService.NewJob job = new JobService.NewJob(client, requestId, parsed.request(), noCache, responseFormat(parsed),
                GenerationController.requestBase(http), callback, () -> limits.releaseImages(limitsName, images));
        CompletableFuture<List<JobRecord>> created;
        try {
            created = jobs.create(List.of(job), Optional.empty());
        } catch (JobsFullException e) {
            limits.releaseImages(limitsName, images);
            throw full(e);
        } catch (RuntimeException e) {
            limits.releaseImages(limitsName, images);
            throw e;
        }
        created.whenComplete((r, e) -> {
            if (e != null) {
                limits.releaseImages(limitsName, images);
            }
        });
        return fullIs429(created).thenApplyAsync(list -> accepted(list.get(0), requestId), storageIo);
    }

    /** A create refused later (Redis counts the unfinished jobs of every replica) is answered 429 as one refused at once. */
    static <T> CompletableFuture<T> fullIs429(CompletableFuture<T> created) {
        return created.exceptionallyCompose(error -> {
            Throwable cause = error;
            while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            return CompletableFuture.failedFuture(cause instanceof JobsFullException full ? full(full) : error);
        });
    }

    static ApiException full(JobsFullException e) {
        return new ApiException(HttpStatus.TOO_MANY_REQUESTS, e.getMessage(), "requests", null, "too_many_jobs",
                Map.of("Retry-After", "30"), null);
    }

    private JobRecord jobOf(HttpResponse<?> response) {
        return response.getAttribute("image-router.job", JobRecord.class).orElseThrow();
    }

    private HttpResponse<?> accepted(JobRecord job, String requestId) {
        MutableHttpResponse<JobView.JobObject> response = HttpResponse.<JobView.JobObject>status(HttpStatus.ACCEPTED)
                .body(view.view(job))
                .header("Location", JOBS_PATH + job.id())
                .header(GenerationController.REQUEST_ID, requestId);
        response.setAttribute("image-router.job", job);
        return response;
    }
}
