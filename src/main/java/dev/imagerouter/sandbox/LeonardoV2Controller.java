package dev.imagerouter.sandbox;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The Leonardo v2 emulator at {@value SandboxKeys#LEONARDO_V2_BASE_PATH} (shared/specs/leonardo/UPDATES-2026.md §1):
 * {@code POST /generations} for the models of {@link LeonardoV2Models} and {@code GET /models}. Results are read on the
 * v1 emulator ({@code GET /api/rest/v1/generations/{id}}, §1.2): a v2 create makes a job in the same job store, so
 * polls, the CDN, the completion callback and the faults that mark a job ({@code timeout}, {@code failed},
 * {@code late}, {@code poll_500}, …) work as for v1 jobs.
 *
 * <p>Create, in the v1 create's order: sandbox enabled (else 404) → auth → the v2 create limit (Leonardo lists
 * {@code POST /v2/generations} at 100/min of its own, §5; its window is {@link SandboxState#leonardoV2CreateWindow()},
 * with the same settings as v1's) → fault selection (targets {@code leonardo}, {@code leonardo-v2} or the instance
 * name) → per-model validation ({@link LeonardoV2Validator}) → the account's pending-job bound and processing slots,
 * shared with v1 jobs (one account: at most {@code leonardo-concurrent-jobs} jobs process at once, v1 and v2 together)
 * → balance → job. The answer is {@code {"generate":{"generationId","apiCreditCost","cost":{"amount","unit"}}}}.
 * Counted as a Leonardo create in {@link SandboxStats} (and as a v2 create); concurrent jobs are counted across v1 and
 * v2 ({@code leonardo_max_concurrent_jobs}).
 *
 * <p>{@code GET /models}: {@code {"productionApiAvailableModels":[{"id","name","parameters"}]}}, without the models
 * named in {@link SandboxSettings#leonardoUnlistedModels()}. Faults apply as on v1 {@code GET /me}; the router's
 * models-list check sends {@code X-Sandbox-Provider: <instance>.models}, so {@code leonardo-flux-pro-2.models=500}
 * fails its checks alone. Runs on the event loop and never blocks.
 */
@Controller(SandboxKeys.LEONARDO_V2_BASE_PATH)
public class LeonardoV2Controller {

    /** The fault-target spelling of v2 calls besides {@code leonardo} and the instance name. */
    static final String FAULT_TARGET = "leonardo-v2";

    private static final java.util.Set<SandboxFault> LIST_FAULTS = java.util.EnumSet.of(SandboxFault.RATE_LIMITED,
            SandboxFault.SERVER_ERROR, SandboxFault.UNAVAILABLE, SandboxFault.AUTH, SandboxFault.TIMEOUT, SandboxFault.SLOW,
            SandboxFault.RESET, SandboxFault.MALFORMED);

    private final SandboxState state;
    private final SandboxStats stats;
    private final LeonardoJobs jobs;
    private final SandboxScheduler scheduler;
    private final JsonMapper jsonMapper;
    private final LeonardoJobCreation creation;

    LeonardoV2Controller(SandboxState state, SandboxStats stats, LeonardoJobs jobs, SandboxScheduler scheduler,
                         JsonMapper jsonMapper, LeonardoJobCreation creation) {
        this.state = state;
        this.stats = stats;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.jsonMapper = jsonMapper;
        this.creation = creation;
    }

    /** {@code POST /generations}: 200 {@code {"generate":…}} or a Leonardo error. */
    @Post(uri = "/generations", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> create(HttpRequest<?> request, @Nullable @Body String body) {
        String provider = SandboxHttp.header(request, SandboxKeys.PROVIDER_HEADER);
        stats.leonardoCreate(body, provider);
        stats.leonardoV2Create();
        if (!state.enabled()) {
            return done(LeonardoErrors.endpointNotFound());
        }
        try {
            LeonardoController.authorize(state, request);
            if (!state.leonardoV2CreateWindow().tryAcquire(state.settings().leonardoLimits())) {
                stats.leonardoRateLimited();
                return done(LeonardoErrors.rateLimited());
            }
            Optional<SandboxFault> fault = LeonardoController.selectFault(state, request, provider, FAULT_TARGET);
            if (fault.isPresent()) {
                stats.faultInjected(EmulatorType.LEONARDO, fault.get());
                if (fault.get() == SandboxFault.RESET) {
                    return SandboxHttp.reset(request);
                }
                Optional<MutableHttpResponse<byte[]>> immediate = LeonardoFaults.immediate(fault.get(), state.settings(),
                        () -> LeonardoV2Validator.slugOf(jsonMapper, body));
                if (immediate.isPresent()) {
                    return done(immediate.get());
                }
            }
            LeonardoV2Validator.Validated valid = LeonardoV2Validator.validate(jsonMapper, body);
            LeonardoRequest req = valid.request();
            return creation.create(request, req, fault.orElse(null), provider, LeonardoBodies::createdV2);
        } catch (EmulatorException e) {
            return done(e.response());
        }
    }

    /** {@code GET /models}: the served models, less the unlisted ones; faults as on v1 {@code GET /me}. */
    @Get(uri = "/models", produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> models(HttpRequest<?> request) {
        stats.leonardoV2ModelList();
        if (!state.enabled()) {
            return done(LeonardoErrors.endpointNotFound());
        }
        try {
            LeonardoController.authorize(state, request);
            Optional<SandboxFault> fault = LeonardoController.selectFault(state, request, SandboxHttp.header(request, SandboxKeys.PROVIDER_HEADER),
                    FAULT_TARGET);
            byte[] body = LeonardoV2Models.listBody(state.settings().leonardoUnlistedModels());
            MutableHttpResponse<byte[]> answer = SandboxHttp.raw(200, SandboxHttp.LEONARDO_JSON, body);
            if (fault.isEmpty() || !LIST_FAULTS.contains(fault.get())) {
                return done(answer);
            }
            SandboxFault f = fault.get();
            stats.faultInjected(EmulatorType.LEONARDO, f);
            return switch (f) {
                case TIMEOUT -> scheduler.<HttpResponse<?>>hang(Duration.ofMinutes(10), () -> answer);
                case SLOW -> scheduler.<HttpResponse<?>>delayed(state.settings().slowDelay(), answer);
                case RESET -> SandboxHttp.reset(request);
                case MALFORMED -> done(SandboxHttp.raw(200, SandboxHttp.LEONARDO_JSON,
                        java.util.Arrays.copyOf(body, body.length / 2)));
                default -> done(LeonardoFaults.immediate(f, state.settings(), () -> "").orElse(answer));
            };
        } catch (EmulatorException e) {
            return done(e.response());
        }
    }

    private static CompletableFuture<HttpResponse<?>> done(HttpResponse<?> response) {
        return CompletableFuture.completedFuture(response);
    }
}
