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

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The Leonardo REST emulator at {@value SandboxKeys#LEONARDO_BASE_PATH}: {@code POST /generations},
 * {@code GET /generations/{id}}, {@code GET /me} (Leonardo WIRE.md §2–4, §9).
 *
 * <p>Runs on the event loop and never blocks; a delayed answer (the {@code slow} fault) is a future
 * completed by {@link SandboxScheduler}. Order of checks on create: sandbox enabled (else 404) →
 * auth → the account's create limit ({@link LeonardoCreateWindow}, 429) → fault selection
 * ({@link LeonardoFaults}) → body validation ({@link LeonardoValidator}) → the account's pending-job bound
 * ({@link LeonardoSlots}, 429) → balance → job creation, processing at once or once a slot frees. The limits are
 * off unless {@link SandboxSettings#leonardoLimits()} sets them; the rate limit comes right after auth because it
 * counts the account's requests, whatever becomes of them. Every endpoint requires the bearer key. With a webhook
 * URL configured ({@link SandboxSettings#webhookUrl()}), a job that completes is also announced by a callback
 * ({@link LeonardoWebhookSender}, WIRE §5).
 */
@Controller(SandboxKeys.LEONARDO_BASE_PATH)
public class LeonardoController {

    /** Faults {@code GET /me} honours (see {@link #me}). */
    private static final java.util.Set<SandboxFault> ME_FAULTS = java.util.EnumSet.of(SandboxFault.RATE_LIMITED,
            SandboxFault.SERVER_ERROR, SandboxFault.UNAVAILABLE, SandboxFault.AUTH, SandboxFault.TIMEOUT, SandboxFault.SLOW,
            SandboxFault.RESET);

    /** Canonical UUID text; anything else is a "malformed key" (WIRE §6.2 row 2). */
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final SandboxState state;
    private final SandboxStats stats;
    private final LeonardoJobs jobs;
    private final SandboxScheduler scheduler;
    private final JsonMapper jsonMapper;
    private final LeonardoJobCreation creation;

    LeonardoController(SandboxState state, SandboxStats stats, LeonardoJobs jobs, SandboxScheduler scheduler, JsonMapper jsonMapper,
                       LeonardoJobCreation creation) {
        this.state = state;
        this.stats = stats;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.jsonMapper = jsonMapper;
        this.creation = creation;
    }

    /** {@code POST /generations}: 200 {@code {"sdGenerationJob":…}} or a Leonardo error. */
    @Post(uri = "/generations", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> create(HttpRequest<?> request, @Nullable @Body String body) {
        String provider = SandboxHttp.header(request, SandboxKeys.PROVIDER_HEADER);
        stats.leonardoCreate(body, provider);
        if (!state.enabled()) {
            return done(LeonardoErrors.endpointNotFound());
        }
        try {
            authorize(request);
            if (!state.leonardoCreateWindow().tryAcquire(state.settings().leonardoLimits())) {
                stats.leonardoRateLimited();
                return done(LeonardoErrors.rateLimited());
            }
            Optional<SandboxFault> fault = selectFault(request, provider);
            if (fault.isPresent()) {
                stats.faultInjected(EmulatorType.LEONARDO, fault.get());
                if (fault.get() == SandboxFault.RESET) {
                    return SandboxHttp.reset(request);
                }
                Optional<MutableHttpResponse<byte[]>> immediate =
                        LeonardoFaults.immediate(fault.get(), state.settings(), () -> modelIdOf(body));
                if (immediate.isPresent()) {
                    return done(immediate.get());
                }
            }
            LeonardoRequest req = LeonardoValidator.validate(jsonMapper, body);
            return creation.create(request, req, fault.orElse(null), provider, LeonardoBodies::created);
        } catch (EmulatorException e) {
            return done(e.response());
        }
    }

    /**
     * {@code GET /generations/{id}}: the job at this instant, {@code {"generations_by_pk":null}} when unknown; 500
     * "internal error" for the first polls of a job created under the {@code poll_500} fault.
     */
    @Get(uri = "/generations/{id}", produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> poll(HttpRequest<?> request, @PathVariable String id) {
        stats.leonardoPoll(id);
        if (!state.enabled()) {
            return LeonardoErrors.endpointNotFound();
        }
        try {
            authorize(request);
        } catch (EmulatorException e) {
            return e.response();
        }
        if (!UUID_TEXT.matcher(id).matches()) {
            return LeonardoErrors.invalidUuid(id);
        }
        Optional<LeonardoJob> job = jobs.find(id.toLowerCase());
        if (job.isEmpty()) {
            return SandboxHttp.raw(200, SandboxHttp.LEONARDO_JSON, LeonardoBodies.notFound());
        }
        if (jobs.takePollFailure(job.get().id())) {
            return LeonardoErrors.internalError(); // the poll_500 fault
        }
        byte[] body = LeonardoBodies.generation(job.get(), System.nanoTime(), SandboxHttp.baseUrl(request));
        if (job.get().malformed()) {
            body = Arrays.copyOf(body, body.length / 2); // cut mid-document: unparsable, still "application/json"
        }
        return SandboxHttp.raw(200, SandboxHttp.LEONARDO_JSON, body);
    }

    /**
     * {@code GET /me}: the account with the current balance. Faults (header or standing, selected as on
     * create) apply so that balance checks can fail: {@code 429}, {@code 500}, {@code 503} and {@code auth}
     * answer as on create, {@code timeout} never answers (10 min, or until shutdown), {@code slow} answers
     * late, {@code reset} drops the connection; other faults are ignored here. The router's credit monitor
     * sends {@code X-Sandbox-Provider: <instance>.credits}, so {@code leonardo-phoenix.credits=500} fails its
     * balance checks and nothing else.
     */
    @Get(uri = "/me", produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<?>> me(HttpRequest<?> request) {
        stats.leonardoMe();
        if (!state.enabled()) {
            return done(LeonardoErrors.endpointNotFound());
        }
        try {
            authorize(request);
            Optional<SandboxFault> fault = selectFault(request, SandboxHttp.header(request, SandboxKeys.PROVIDER_HEADER));
            BigDecimal[] tokens = state.leonardoAccount().tokens();
            MutableHttpResponse<byte[]> answer = SandboxHttp.raw(200, SandboxHttp.LEONARDO_JSON, LeonardoBodies.me(tokens[0], tokens[1]));
            if (fault.isEmpty() || !ME_FAULTS.contains(fault.get())) {
                return done(answer);
            }
            SandboxFault f = fault.get();
            stats.faultInjected(EmulatorType.LEONARDO, f);
            return switch (f) {
                case TIMEOUT -> scheduler.<HttpResponse<?>>hang(java.time.Duration.ofMinutes(10), () -> answer);
                case SLOW -> scheduler.<HttpResponse<?>>delayed(state.settings().slowDelay(), answer);
                case RESET -> SandboxHttp.reset(request);
                default -> done(LeonardoFaults.immediate(f, state.settings(), () -> "").orElse(answer));
            };
        } catch (EmulatorException e) {
            return done(e.response());
        }
    }

    /**
     * {@code authorization: Bearer <uuid>} (WIRE §1, §6.2): missing → 401; not {@code Bearer <uuid>} →
     * 500 "Invalid response from authorization hook"; unknown UUID → 401.
     */
    private void authorize(HttpRequest<?> request) {
        authorize(state, request);
    }

    /** {@link #authorize(HttpRequest)} against {@code state}'s keys; shared with the v2 emulator. */
    static void authorize(SandboxState state, HttpRequest<?> request) {
        String header = SandboxHttp.header(request, "authorization");
        if (header == null || header.isBlank()) {
            throw new EmulatorException(LeonardoErrors.unauthorized());
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new EmulatorException(LeonardoErrors.invalidAuthHookResponse());
        }
        String key = header.substring(7).trim();
        if (!UUID_TEXT.matcher(key).matches()) {
            throw new EmulatorException(LeonardoErrors.invalidAuthHookResponse());
        }
        if (!key.equalsIgnoreCase(SandboxKeys.LEONARDO_API_KEY) && !state.settings().leonardoApiKeys().contains(key)) {
            throw new EmulatorException(LeonardoErrors.unauthorized());
        }
    }

    private Optional<SandboxFault> selectFault(HttpRequest<?> request, String provider) {
        return selectFault(state, request, provider, null);
    }

    /**
     * The fault for one Leonardo call: rules targeting {@code leonardo}, the instance name {@code provider} or, when not
     * null, {@code variant} (the v2 emulator's {@code leonardo-v2}); a header that does not parse or names a fault
     * Leonardo has not answers 400. Shared with the v2 emulator.
     */
    static Optional<SandboxFault> selectFault(SandboxState state, HttpRequest<?> request, String provider, String variant) {
        Optional<SandboxFault> fault;
        try {
            fault = state.selectFault(EmulatorType.LEONARDO, SandboxHttp.header(request, SandboxKeys.FAULT_HEADER), provider,
                    variant);
        } catch (IllegalArgumentException e) {
            throw new EmulatorException(LeonardoErrors.badFaultHeader(e.getMessage()));
        }
        if (fault.isPresent() && !fault.get().appliesTo(EmulatorType.LEONARDO)) {
            throw new EmulatorException(LeonardoErrors.badFaultHeader("fault '" + fault.get().wireName()
                    + "' does not apply to leonardo"));
        }
        return fault;
    }

    /** Best-effort {@code modelId} of a body that has not been validated yet (for the {@code model} fault). */
    private String modelIdOf(String body) {
        JsonNode json = SandboxJson.parseObject(jsonMapper, body);
        JsonNode model = json == null ? null : json.get("modelId");
        return model != null && model.isString() ? model.getStringValue() : LeonardoValidator.PHOENIX_MODELS.get(0);
    }

    private static CompletableFuture<HttpResponse<?>> done(HttpResponse<?> response) {
        return CompletableFuture.completedFuture(response);
    }
}
