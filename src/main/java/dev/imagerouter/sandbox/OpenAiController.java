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
 * The OpenAI Images emulator at {@value SandboxKeys#OPENAI_BASE_PATH}: {@code POST /images/generations}
 * and {@code GET /models/{model}} (OpenAI WIRE.md §1, §2, §5).
 *
 * <p>Never blocks: images render on {@link SandboxImages}' executor, and latency
 * ({@link SandboxSettings#openaiLatency()}, measured from the request's arrival), the {@code slow}
 * and {@code timeout} faults are futures completed by {@link SandboxScheduler}. Every answer carries
 * {@code x-request-id: req_<32 hex>}, {@code openai-processing-ms}, {@code openai-version: 2020-10-01}
 * and {@code openai-organization} (WIRE §2.3). Order of checks: sandbox enabled (else 404) → auth →
 * fault ({@link OpenAiFaults}) → body ({@link OpenAiValidator}) → rendering.
 */
@Controller(SandboxKeys.OPENAI_BASE_PATH)
public class OpenAiController {

    /** How long the {@code timeout} fault withholds an answer: the SDK's default request timeout (WIRE §4.6). */
    public static final Duration HANG = Duration.ofMinutes(10);

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
    @Post(uri = "/images/generations", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
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
            OpenAiRequest r = OpenAiValidator.validate(jsonMapper, body, settings.openaiAvailableModels());
            long created = TimeUnit.MILLISECONDS.toSeconds(System.currentTimeMillis());
            if (fault.orElse(null) == SandboxFault.MALFORMED) {
                return deliver(ok(OpenAiBodies.images(r, List.of(), true, created)), deadline, requestId, start);
            }
            long finalDeadline = deadline;
            return render(r).thenCompose(pictures ->
                    deliver(ok(OpenAiBodies.images(r, pictures, false, created)), finalDeadline, requestId, start));
        } catch (EmulatorException e) {
            return deliver(e.response(), deadline, requestId, start);
        }
    }

    /** {@code GET /models/{model}}: the model object, or 404 {@code model_not_found} for a model not configured available. */
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
        MutableHttpResponse<byte[]> answer = state.settings().openaiAvailableModels().contains(model)
                ? ok(OpenAiBodies.model(model)) : OpenAiErrors.modelNotFound(model);
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

    /** Renders the {@code n} images: image i from (prompt, seed(prompt) + i); JPEG for jpeg, else PNG. */
    private CompletableFuture<List<byte[]>> render(OpenAiRequest r) {
        long seed = LeonardoJobs.seedFor(r.prompt());
        SandboxImages.Format format = "jpeg".equals(r.outputFormat()) ? SandboxImages.Format.JPEG : SandboxImages.Format.PNG;
        List<CompletableFuture<byte[]>> parts = new ArrayList<>(r.n());
        for (int i = 0; i < r.n(); i++) {
            parts.add(images.image(r.prompt(), seed + i, r.width(), r.height(), format, r.compression()));
        }
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
