package dev.imagerouter.sandbox;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAI Images emulator at {@value SandboxKeys#OPENAI_BASE_PATH}, speaking gpt-image-2
 * (shared/specs/openai/GPT-IMAGE-2.md): {@code POST /images/generations}, as JSON or, with
 * {@code stream: true}, as {@code text/event-stream} (§4), and {@code GET /models/{model}} (§6).
 *
 * <p>Never blocks: images render on {@link SandboxImages}' executor, and latency
 * ({@link SandboxSettings#openaiLatency()}, measured from the request's arrival), the {@code slow}
 * and {@code timeout} faults are futures completed by {@link SandboxScheduler}. Every answer carries
 * {@code x-request-id: req_<32 hex>}, {@code openai-processing-ms}, {@code openai-version: 2020-10-01}
 * and {@code openai-organization} (WIRE §2.3). Order of checks: sandbox enabled (else 404) → auth →
 * fault ({@link OpenAiFaults}) → body ({@link OpenAiValidator}) → rendering. Faults therefore apply
 * before a stream starts. A streamed answer is written once every image and partial image is rendered
 * (the events arrive together, which SSE clients cannot tell from a fast generation) and ends after
 * the last {@code completed} event, without {@code [DONE]} (§4).
 */
@Controller(SandboxKeys.OPENAI_BASE_PATH)
public class OpenAiController {

    /** How long the {@code timeout} fault withholds an answer: the SDK's default request timeout (WIRE §4.6). */
    public static final Duration HANG = Duration.ofMinutes(10);
    /** Content type of a streamed generation (GPT-IMAGE-2.md §4). */
    static final String EVENT_STREAM = "text/event-stream";

    private final SandboxState state;
    private final SandboxStats stats;
    private final SandboxImages images;
    private final SandboxScheduler scheduler;
    private final JsonMapper jsonMapper;

    OpenAiController(SandboxState state, SandboxStats stats, SandboxImages images, SandboxScheduler scheduler, JsonMapper jsonMapper) {
        this.state = state;
        this.stats = stats;
        this.images = images;
        this.scheduler = scheduler;
        this.jsonMapper = jsonMapper;
    }

    /** {@code POST /images/generations}: 200 {@code ImagesResponse} or an OpenAI error. */
    @Post(uri = "/images/generations", consumes = MediaType.ALL, produces = {MediaType.APPLICATION_JSON, MediaType.TEXT_EVENT_STREAM})
    public CompletableFuture<HttpResponse<?>> generate(HttpRequest<?> request, @Nullable @Body String body) {
        long start = System.nanoTime();
        String requestId = "req_" + UUID.randomUUID().toString().replace("-", "");
        String provider = SandboxHttp.header(request, SandboxKeys.PROVIDER_HEADER);
        JsonNode json = SandboxJson.parseObject(jsonMapper, body);
        String model = OpenAiValidator.modelOf(json);
        stats.openAiGenerate(body, json == null ? null : model, provider);
        if (!state.enabled()) {
            return done(stamp(OpenAiErrors.invalidUrl("POST", "/v1/images/generations"), requestId, start));
        }
        SandboxSettings settings = state.settings();
        long deadline = start + settings.openaiLatency().toNanos();
        try {
            String key = authorize(request);
            Optional<SandboxFault> fault = selectFault(request, provider);
            if (fault.isPresent()) {
                stats.faultInjected(EmulatorType.OPENAI, fault.get());
                switch (fault.get()) {
                    case RESET:
                        return SandboxHttp.reset(request);
                    case TIMEOUT:
                        return scheduler.hang(HANG, () -> stamp(OpenAiErrors.serverError(), requestId, start));
                    case SLOW:
                        deadline += settings.slowDelay().toNanos();
                        break;
                    default:
                        Optional<MutableHttpResponse<byte[]>> immediate = OpenAiFaults.immediate(fault.get(), model, key, requestId);
                        if (immediate.isPresent()) {
                            return deliver(immediate.get(), deadline, requestId, start);
                        }
                }
            }
            OpenAiRequest r = OpenAiValidator.validate(jsonMapper, body, settings);
            long created = TimeUnit.MILLISECONDS.toSeconds(System.currentTimeMillis());
            if (fault.orElse(null) == SandboxFault.MALFORMED) {
                return deliver(ok(OpenAiBodies.images(r, List.of(), true, created)), deadline, requestId, start);
            }
            long finalDeadline = deadline;
            if (r.stream()) {
                return render(r).thenCombine(partials(r), (pictures, sketches) -> OpenAiBodies.stream(r, pictures, sketches, created))
                        .thenCompose(events -> deliver(SandboxHttp.raw(200, EVENT_STREAM, events), finalDeadline, requestId, start));
            }
            return render(r).thenCompose(pictures ->
                    deliver(ok(OpenAiBodies.images(r, pictures, false, created)), finalDeadline, requestId, start));
        } catch (EmulatorException e) {
            return deliver(e.response(), deadline, requestId, start);
        }
    }

    /**
     * {@code GET /models/{model}}: the model object with {@code shutdown_date} from
     * {@link SandboxSettings#openaiShutdownDates()} (null when none), or 404 {@code model_not_found}
     * for a model not configured available.
     */
    @Get(uri = "/models/{model}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> model(HttpRequest<?> request, @PathVariable String model) {
        long start = System.nanoTime();
        String requestId = "req_" + UUID.randomUUID().toString().replace("-", "");
        stats.openAiModelLookup(model);
        if (!state.enabled()) {
            return stamp(OpenAiErrors.invalidUrl("GET", "/v1/models/" + model), requestId, start);
        }
        try {
            authorize(request);
        } catch (EmulatorException e) {
            return stamp(e.response(), requestId, start);
        }
        SandboxSettings settings = state.settings();
        MutableHttpResponse<byte[]> answer = settings.openaiAvailableModels().contains(model)
                ? ok(OpenAiBodies.model(model, settings.openaiShutdownDates().get(model))) : OpenAiErrors.modelNotFound(model);
        return stamp(answer, requestId, start);
    }

    /** {@code Authorization: Bearer <key>}; returns the key. Missing → 401; unknown → 401 with the key masked. */
    private String authorize(HttpRequest<?> request) {
        String header = SandboxHttp.header(request, "Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            throw new EmulatorException(OpenAiErrors.missingKey());
        }
        String key = header.substring(7).trim();
        if (!key.equals(SandboxKeys.OPENAI_API_KEY) && !state.settings().openaiApiKeys().contains(key)) {
            throw new EmulatorException(OpenAiErrors.incorrectKey(key));
        }
        return key;
    }

    private Optional<SandboxFault> selectFault(HttpRequest<?> request, String provider) {
        Optional<SandboxFault> fault;
        try {
            fault = state.selectFault(EmulatorType.OPENAI, SandboxHttp.header(request, SandboxKeys.FAULT_HEADER), provider);
        } catch (IllegalArgumentException e) {
            throw new EmulatorException(OpenAiErrors.badFaultHeader(e.getMessage()));
        }
        if (fault.isPresent() && !fault.get().appliesTo(EmulatorType.OPENAI)) {
            throw new EmulatorException(OpenAiErrors.badFaultHeader("fault '" + fault.get().wireName() + "' does not apply to openai"));
        }
        return fault;
    }

    /** Renders the {@code n} images: image i from (prompt, seed(prompt) + i), in the requested format. */
    private CompletableFuture<List<byte[]>> render(OpenAiRequest r) {
        long seed = LeonardoJobs.seedFor(r.prompt());
        List<CompletableFuture<byte[]>> parts = new ArrayList<>(r.n());
        for (int i = 0; i < r.n(); i++) {
            parts.add(images.image(r.prompt(), seed + i, r.width(), r.height(), r.format(), r.compression(), r.transparent()));
        }
        return all(parts);
    }

    /**
     * The partial images of each image while streaming: {@code partial_images} one-colour sketches of
     * the final picture (cheap: cached, and a flat image encodes fast), in the requested size and format.
     */
    private CompletableFuture<List<List<byte[]>>> partials(OpenAiRequest r) {
        long seed = LeonardoJobs.seedFor(r.prompt());
        List<CompletableFuture<List<byte[]>>> perImage = new ArrayList<>(r.n());
        for (int i = 0; i < r.n(); i++) {
            List<CompletableFuture<byte[]>> sketches = new ArrayList<>(r.partialImages());
            for (int p = 0; p < r.partialImages(); p++) {
                sketches.add(images.sketch(r.prompt(), seed + i, r.width(), r.height(), r.format(), r.compression(), r.transparent()));
            }
            perImage.add(all(sketches));
        }
        return all(perImage);
    }

    private static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> parts) {
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
    }

    private CompletableFuture<HttpResponse<?>> deliver(MutableHttpResponse<byte[]> response, long deadline, String requestId, long start) {
        return scheduler.delayedUntil(deadline, response).thenApply(r -> stamp(r, requestId, start));
    }

    private static MutableHttpResponse<byte[]> ok(byte[] body) {
        return SandboxHttp.raw(200, SandboxHttp.OPENAI_JSON, body);
    }

    private static MutableHttpResponse<byte[]> stamp(MutableHttpResponse<byte[]> response, String requestId, long start) {
        return response.header("x-request-id", requestId)
                .header("openai-processing-ms", Long.toString(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)))
                .header("openai-version", "2020-10-01")
                .header("openai-organization", SandboxKeys.OPENAI_ORGANIZATION);
    }

    private static CompletableFuture<HttpResponse<?>> done(HttpResponse<?> response) {
        return CompletableFuture.completedFuture(response);
    }
}
