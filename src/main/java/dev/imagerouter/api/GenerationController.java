package dev.imagerouter.api;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.cache.IdempotencyKeys;
import dev.imagerouter.metrics.RouterMetrics;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.storage.StorageUnavailableException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /v1/images/generations}: the OpenAI Images API shape. Thin: parses, hands over to
 * {@link GenerationService}, shapes the answer. Errors go through {@link ApiErrorHandlers}.
 */
@Controller
public class GenerationController {

    /** Response header: the request's id, also in the logs. */
    public static final String REQUEST_ID = "X-Request-Id";
    /** Response header: the provider instance that made the images. */
    public static final String ROUTER_PROVIDER = "X-Router-Provider";
    private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile("[A-Za-z0-9.\\-:\\[\\]]+");

    /** Request header: replays of the same key return the first request's result (see IdempotencyKeys). */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Response header: {@code HIT} or {@code MISS}. */
    public static final String ROUTER_CACHE = "X-Router-Cache";

    private final GenerationService generations;
    private final SandboxFaultCheck faultCheck;
    private final RunningRouter runtime;
    private final JsonMapper json;
    private final Answers answers;
    private final AsyncJobs asyncJobs;
    private final RouterMetrics metrics;
    private final ClientLimits limits;
    private final java.util.concurrent.ExecutorService storageIo;

    public GenerationController(GenerationService generations, RunningRouter runtime, JsonMapper json, Answers answers,
                                RouterMetrics metrics, ClientLimits limits,
                                @jakarta.inject.Named("storage-io") java.util.concurrent.ExecutorService storageIo,
                                SandboxFaultCheck faultCheck, AsyncJobs asyncJobs) {
        this.answers = answers;
        this.asyncJobs = asyncJobs;
        this.storageIo = storageIo;
        this.faultCheck = faultCheck;
        this.generations = generations;
        this.runtime = runtime;
        this.json = json;
        this.metrics = metrics;
        this.limits = limits;
    }

    @Post(uri = "/v1/images/generations", produces = {MediaType.APPLICATION_JSON, MediaType.TEXT_EVENT_STREAM})
    @Consumes(MediaType.ALL)
    public CompletableFuture<HttpResponse<?>> generate(HttpRequest<?> http, @Nullable @Body byte[] body) {
        long start = System.nanoTime();
        String requestId = http.getAttribute(REQUEST_ID, String.class).orElseGet(GenerationController::newRequestId);
        http.setAttribute(REQUEST_ID, requestId);
        http.setAttribute(ApiErrorHandlers.START_NANOS, start);
        MediaType type = http.getContentType().orElse(null);
        if (type == null || !"application".equals(type.getType()) || !type.getSubtype().equals("json")) {
            throw new ApiException(io.micronaut.http.HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type must be application/json.", "invalid_request_error", null, "unsupported_media_type",
                    java.util.Map.of(), null);
        }
        Optional<String> faults = runtime.config().sandbox().enabled()
                ? Optional.ofNullable(http.getHeaders().get("X-Sandbox-Fault")) : Optional.empty();
        GenerationRequestParser parser = new GenerationRequestParser(json, runtime.config().api().maxPromptLength(), faultCheck);
        // raw bytes: JSON is UTF-8 (RFC 8259 §8.1); a bogus charset parameter must not break decoding
        GenerationRequestParser.Parsed parsed = parser.parse(body, faults);
        // every check of the request itself comes before the daily allowance is reserved, so a bad
        // request never uses any of it
        Optional<String> idempotencyKey = Optional.ofNullable(http.getHeaders().get(IDEMPOTENCY_KEY));
        if (idempotencyKey.isPresent() && !IdempotencyKeys.isValid(idempotencyKey.get())) {
            throw ApiException.invalid(IDEMPOTENCY_KEY, "invalid_value",
                    "Idempotency-Key must be 1 to " + IdempotencyKeys.MAX_KEY_LENGTH + " printable ASCII characters.");
        }
        String client = http.getAttribute(ApiErrorHandlers.CLIENT_NAME, String.class).orElse(ClientLimits.ANONYMOUS);
        if (AsyncJobs.wantsAsync(http)) {
            return asyncJobs.create(http, parsed, requestId, idempotencyKey, start);
        }
        int images = parsed.request().n();
        int perDay = runtime.config().auth().limits().imagesPerDay();
        if (limits.sharesImages(perDay)) { // the day's allowance is counted in Redis, for every replica
            return limits.reserveImagesShared(client, images, perDay)
                    .thenCompose(v -> generateReserved(http, parsed, requestId, idempotencyKey, client, images, start));
        }
        limits.reserveImages(client, images, perDay);
        return generateReserved(http, parsed, requestId, idempotencyKey, client, images, start);
    }

    /** The generation once {@code images} of the client's daily allowance are reserved. */
    private CompletableFuture<HttpResponse<?>> generateReserved(HttpRequest<?> http, GenerationRequestParser.Parsed parsed,
                                                               String requestId, Optional<String> idempotencyKey, String client,
                                                               int images, long start) {
        // from here on, every refusal and every failed generation gives the reservation back
        boolean noCache = http.getHeaders().getAll("Cache-Control").stream().anyMatch(v -> v.toLowerCase().contains("no-cache"));
        Optional<String> namespace = http.getAttribute(ApiErrorHandlers.CLIENT_NAME, String.class);
        String base = requestBase(http);
        GenerationEvents events = parsed.stream()
                ? new GenerationEvents(json, parsed.request(), java.util.Map.of(REQUEST_ID, requestId)) : null;
        CompletableFuture<GenerationService.Generation> generation;
        try {
            generation = generations.generate(parsed.request(), namespace, noCache, requestId, idempotencyKey,
                    events == null ? dev.imagerouter.vocabulary.PartialImageListener.NONE : events);
        } catch (IdempotencyKeys.KeyReusedException e) {
            limits.releaseImages(client, images); // refused before any generation: the allowance is not used
            throw keyReused(e);
        } catch (RuntimeException e) {
            limits.releaseImages(client, images); // e.g. no provider can serve the request (400)
            throw e;
        }
        generation.whenComplete((g, e) -> {
            if (e != null) {
                limits.releaseImages(client, images); // a failed generation does not use the daily allowance
            }
        });
        // with keys shared by replicas (REDIS_URI) a reused key is found asynchronously
        generation = generation.exceptionallyCompose(e -> CompletableFuture.failedFuture(
                unwrap(e) instanceof IdempotencyKeys.KeyReusedException reused ? keyReused(reused) : e));
        // b64_json reads the stored files: never on the event loop (a cache hit completes at once)
        boolean base64 = parsed.base64() || parsed.stream();
        CompletableFuture<GenerationEvents.Answer> answer = generation.thenApplyAsync(g -> {
            GenerationResponse response = toResponse(g, parsed, base64, base);
            String cache = g.cached() ? "HIT" : "MISS";
            // a no-cache request that joined an identical one in flight (or replayed its key) made no
            // provider call: "hit", as its header says; the one that generated: "bypass"
            String counted = noCache && !g.cached() ? "bypass" : cache.toLowerCase();
            metrics.onRequest("success", counted, System.nanoTime() - start);
            RequestLog.succeeded(http, counted, response.router().provider(), g.requestHash());
            return new GenerationEvents.Answer(response, java.util.Map.of(REQUEST_ID, requestId,
                    ROUTER_PROVIDER, response.router().provider(), ROUTER_CACHE, cache));
        }, base64 ? storageIo : Runnable::run);
        if (events != null) {
            RequestLog.pending(http, answer);
            return events.respond(answer).thenApply(r -> r);
        }
        return answer.thenApply(a -> {
            MutableHttpResponse<?> ok = HttpResponse.ok(a.body());
            a.headers().forEach(ok::header);
            return ok;
        });
    }

    private GenerationResponse toResponse(GenerationService.Generation g, GenerationRequestParser.Parsed parsed,
                                          boolean base64, String base) {
        return answers.render(g.generation(), g.cached(), g.requestHash(), parsed.request(), parsed.url(), base64, base);
    }

    private static ApiException keyReused(IdempotencyKeys.KeyReusedException e) {
        return new ApiException(io.micronaut.http.HttpStatus.UNPROCESSABLE_ENTITY, e.getMessage() + "; use a new key.",
                "invalid_request_error", IDEMPOTENCY_KEY, "idempotency_key_reused", java.util.Map.of(), null);
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /** {@code scheme://host[:port]} as the client addressed us (Host header), for image URLs. */
    static String requestBase(HttpRequest<?> http) {
        String host = http.getHeaders().get("Host");
        if (host == null || host.isBlank() || !HOST.matcher(host).matches()) {
            host = http.getServerAddress().getHostString() + ":" + http.getServerAddress().getPort();
        }
        String proto = Optional.ofNullable(http.getHeaders().get("X-Forwarded-Proto")).filter(p -> p.equals("https"))
                .orElse("http");
        return proto + "://" + host;
    }

    static String newRequestId() {
        byte[] bytes = new byte[12];
        ThreadLocalRandom.current().nextBytes(bytes);
        return "req_" + HexFormat.of().formatHex(bytes);
    }
}
