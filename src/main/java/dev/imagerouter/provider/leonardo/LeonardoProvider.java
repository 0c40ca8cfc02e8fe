package dev.imagerouter.provider.leonardo;

import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.JobListener;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.FailureKind;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/*
 * The v1 create: POST /generations with the Phoenix model id, alchemy, contrast, presetStyle or
 * styleUUID, width/height (scaled down to max-dimension), num_images and seed. Everything after the
 * create (the accepted job's polls, webhook, download, job-max-age; the money-safety rules) is
 * LeonardoJobTracker's, shared with the v2 adapter.
 */
/** The Leonardo adapter: one instance per provider file of type {@code leonardo}. Thread-safe. */
public final class LeonardoProvider implements ImageProvider, dev.imagerouter.provider.BalanceSource, AutoCloseable {

    private final ProviderConfig config;
    private final LeonardoSettings settings;
    private final ProviderContext context;
    private final LeonardoClient client;
    private final LeonardoFailureClassifier classifier;
    private final LeonardoJobTracker tracker;
    private final LeonardoBalance balance;

    public LeonardoProvider(ProviderConfig config, LeonardoSettings settings, ProviderContext context,
                            LeonardoWebhooks webhooks, Clock clock) {
        this.config = config;
        this.settings = settings;
        this.context = context;
        this.client = new LeonardoClient(config.baseUrl(), config.apiKey().orElse(""), config.timeout());
        this.classifier = new LeonardoFailureClassifier(context.json(), clock);
        this.tracker = new LeonardoJobTracker(config.model(), settings.jobs(), context, client, classifier, webhooks);
        this.balance = new LeonardoBalance(client, classifier, context.json());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public String type() {
        return "leonardo";
    }

    @Override
    public String model() {
        return config.model();
    }

    /** Longest prompt and negative prompt Leonardo accepts, in characters (shared/specs/leonardo/WIRE.md §2.1). */
    public static final int MAX_PROMPT = 1500;

    /**
     * {@inheritDoc}
     *
     * <p>A prompt or negative prompt over {@value #MAX_PROMPT} characters (Leonardo answers 400), or a
     * transparent background (Phoenix has no transparency option in v1 generations).
     */
    @Override
    public java.util.Optional<dev.imagerouter.vocabulary.Unsupported> unsupported(ImageRequest request) {
        if (request.prompt().codePointCount(0, request.prompt().length()) > MAX_PROMPT) {
            return java.util.Optional.of(new dev.imagerouter.vocabulary.Unsupported("prompt",
                    "prompt longer than Leonardo's " + MAX_PROMPT + " characters"));
        }
        if (request.negativePrompt().map(n -> n.codePointCount(0, n.length()) > MAX_PROMPT).orElse(false)) {
            return java.util.Optional.of(new dev.imagerouter.vocabulary.Unsupported("negative_prompt",
                    "negative_prompt longer than Leonardo's " + MAX_PROMPT + " characters"));
        }
        if (ImageRequest.BACKGROUND_TRANSPARENT.equals(request.background())) {
            return java.util.Optional.of(new dev.imagerouter.vocabulary.Unsupported("background",
                    "Leonardo Phoenix cannot make transparent backgrounds"));
        }
        return java.util.Optional.empty();
    }

    @Override
    public Optional<dev.imagerouter.provider.BalanceSource> balanceSource() {
        return Optional.of(this);
    }

    /** {@code GET /me}: see {@link LeonardoBalance}. */
    @Override
    public CompletableFuture<BigDecimal> balance(Map<String, String> headers) {
        return balance.balance(headers);
    }

    /** The HTTP client, shared with the credit monitor. */
    public LeonardoClient client() {
        return client;
    }

    /** The classifier, shared with the credit monitor. */
    public LeonardoFailureClassifier classifier() {
        return classifier;
    }

    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request) {
        return generate(request, dev.imagerouter.vocabulary.PartialImageListener.NONE, JobListener.NONE);
    }

    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request, dev.imagerouter.vocabulary.PartialImageListener partials) {
        return generate(request, partials, JobListener.NONE);
    }

    /**
     * Creates the job and tracks it to its terminal state ({@link LeonardoJobTracker}). Completes with
     * the downloaded images, or exceptionally with a {@link ProviderFailure} whose phase says whether
     * the job had been accepted and whether it was paid.
     */
    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request, dev.imagerouter.vocabulary.PartialImageListener partials,
                                                      JobListener jobs) {
        // the create and every poll of this job carry the attempt's trace context (current only here)
        Map<String, String> headers = context.trace().addTo(
                LeonardoClient.sandboxHeaders(context, config.name(), request.sandboxFaults()));
        String body;
        try {
            body = context.json().writeValueAsString(createBody(request));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new ProviderFailure(FailureKind.INVALID_REQUEST, "request could not be encoded"));
        }
        return tracker.create(() -> client.createGeneration(body, headers), this::createdJob, headers, jobs);
    }

    /** The job of a v1 create answer, {@code {"sdGenerationJob":{...}}} (WIRE.md §2.3); null when there is none. */
    private LeonardoWire.SdGenerationJob createdJob(String body) {
        LeonardoWire.CreateResponse created = tracker.read(body, LeonardoWire.CreateResponse.class);
        return created == null ? null : created.sdGenerationJob();
    }

    /**
     * Tracks an accepted job ({@code generationId}) after a restart ({@link LeonardoJobTracker#resume}). Nothing is created.
     */
    @Override
    public Optional<CompletableFuture<ProviderResult>> resume(ImageRequest request, String jobId) {
        Map<String, String> headers = context.trace().addTo(
                LeonardoClient.sandboxHeaders(context, config.name(), request.sandboxFaults()));
        return Optional.of(tracker.resume(jobId, headers));
    }

    Map<String, Object> createBody(ImageRequest request) {
        int w = request.width();
        int h = request.height();
        int max = Math.max(w, h);
        if (max > settings.maxDimension()) {
            double scale = (double) settings.maxDimension() / max;
            w = Math.max(32, (int) Math.floor(w * scale / 8) * 8);
            h = Math.max(32, (int) Math.floor(h * scale / 8) * 8);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("prompt", request.prompt());
        request.negativePrompt().ifPresent(n -> body.put("negative_prompt", n));
        body.put("modelId", config.model());
        body.put("width", w);
        body.put("height", h);
        body.put("num_images", request.n());
        body.put("alchemy", settings.alchemy());
        body.put("contrast", settings.contrast());
        Optional<String> style = request.style().or(settings::defaultStyle);
        if (style.isPresent()) {
            body.put("presetStyle", style.get());
        } else {
            settings.styleUuid().ifPresent(uuid -> body.put("styleUUID", uuid));
        }
        request.seed().ifPresent(s -> body.put("seed", s));
        return body;
    }

    /** Jobs accepted and not yet terminal, now. */
    public int activeJobs() {
        return tracker.activeJobs();
    }

    /** Poll answers that were errors (and only delayed the next poll), since start. */
    public long pollErrors() {
        return tracker.pollErrors();
    }

    /**
     * Closes the HTTP client once no accepted job is tracked any more: a configuration reload retires
     * this adapter, but its jobs in flight are paid and still need their polls and downloads.
     */
    @Override
    public void close() {
        tracker.close();
    }
}
