package dev.imagerouter.provider.leonardov2;

import dev.imagerouter.provider.BalanceSource;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.provider.ModelCatalogue;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.provider.leonardo.LeonardoBalance;
import dev.imagerouter.provider.leonardo.LeonardoClient;
import dev.imagerouter.provider.leonardo.LeonardoFailureClassifier;
import dev.imagerouter.provider.leonardo.LeonardoJobTracker;
import dev.imagerouter.provider.leonardo.LeonardoWebhooks;
import dev.imagerouter.provider.leonardo.LeonardoWire;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.JobListener;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.Unsupported;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/*
 * Leonardo's v2 generations API (shared/specs/leonardo/UPDATES-2026.md §1)
 * ------------------------------------------------------------------------
 * create   POST /api/rest/v2/generations {"model":<slug>,"public":false,"parameters":{...}}: the slug is
 *          the file's model, the parameters come from its parameters: block (ModelParameters), "public"
 *          is always sent (one 2026 integration saw VALIDATION_ERROR without it, §1.1) and always false
 *          (images stay out of the community feed). The answer {"generate":{"generationId",
 *          "apiCreditCost","cost"}} is read like v1's sdGenerationJob.
 * result   polled on v1 GET /generations/{id} (v2 has no GET, §1.2), or Leonardo's callback, then the
 *          images downloaded: LeonardoJobTracker, the v1 adapter's lifecycle and money-safety rules
 *          (an accepted job is never created twice, an ambiguous create is not retried, resume by id).
 * failures the v1 classifier (LeonardoFailureClassifier), which also reads the other error shapes a
 *          v2 answer may have (§7.1: unconfirmed).
 * balance  GET /me of the same key (LeonardoBalance); cost from the create answer's cost / apiCreditCost.
 * models   GET /api/rest/v2/models for the model lifecycle check when the file names its catalog-id or
 *          catalog-name (ModelCatalogue): listed → available; missing from a list that was read →
 *          MODEL_UNAVAILABLE; a list that failed, did not parse or was empty → inconclusive.
 */
/** The Leonardo v2 adapter: one instance per provider file of type {@code leonardo-v2}. Thread-safe. */
public final class LeonardoV2Provider implements ImageProvider, BalanceSource, ModelCatalogue, AutoCloseable {

    /** The provider type of its files. */
    public static final String TYPE = "leonardo-v2";

    private final ProviderConfig config;
    private final LeonardoV2Settings settings;
    private final ProviderContext context;
    private final LeonardoClient client;
    private final LeonardoFailureClassifier classifier;
    private final LeonardoJobTracker tracker;
    private final LeonardoBalance balance;
    private final String label;

    public LeonardoV2Provider(ProviderConfig config, LeonardoV2Settings settings, ProviderContext context,
                              LeonardoWebhooks webhooks, Clock clock) {
        this.config = config;
        this.settings = settings;
        this.context = context;
        this.client = new LeonardoClient(config.baseUrl(), config.apiKey().orElse(""), config.timeout());
        this.classifier = new LeonardoFailureClassifier(context.json(), clock);
        this.tracker = new LeonardoJobTracker(config.model(), settings.jobs(), context, client, classifier, webhooks);
        this.balance = new LeonardoBalance(client, classifier, context.json());
        this.label = "Leonardo " + config.model();
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String model() {
        return config.model();
    }

    /** {@inheritDoc} See {@link ModelParameters#unsupported}. */
    @Override
    public Optional<Unsupported> unsupported(ImageRequest request) {
        return settings.parameters().unsupported(request, label);
    }

    @Override
    public Optional<BalanceSource> balanceSource() {
        return Optional.of(this);
    }

    /** {@code GET /me} of the account: see {@link LeonardoBalance}. */
    @Override
    public CompletableFuture<BigDecimal> balance(Map<String, String> headers) {
        return balance.balance(headers);
    }

    /** The models list check, for files that name their catalog entry. */
    @Override
    public Optional<ModelCatalogue> modelCatalogue() {
        return settings.listed() ? Optional.of(this) : Optional.empty();
    }

    /**
     * Reads {@code GET /api/rest/v2/models} and looks the file's {@code catalog-id} / {@code catalog-name} up in it
     * ({@code model}, the slug, is not in the list). The sandbox provider header is {@code <name>.models}.
     *
     * @return completes with no shutdown date (the list announces none) when the entry is listed; exceptionally
     *         with {@code MODEL_UNAVAILABLE} when a list that was read lacks it, or with the failure of a list that
     *         could not be read (any other kind: the lifecycle check keeps what it knew)
     */
    @Override
    public CompletableFuture<Optional<LocalDate>> shutdownDate(String model, Duration timeout) {
        Map<String, String> headers = context.sandbox()
                ? Map.of(ProviderContext.SANDBOX_PROVIDER_HEADER, config.name() + MODELS_SUFFIX) : Map.of();
        CompletableFuture<String> call;
        try {
            call = client.modelsV2(headers);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(classifier.classify(e));
        }
        CompletableFuture<Optional<LocalDate>> result = new CompletableFuture<>();
        call.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).whenComplete((body, error) -> {
            if (error != null) {
                result.completeExceptionally(classifier.classify(error));
                return;
            }
            LeonardoV2Wire.ModelsResponse models = tracker.read(body, LeonardoV2Wire.ModelsResponse.class);
            List<LeonardoV2Wire.ModelEntry> entries = models == null ? null : models.productionApiAvailableModels();
            if (entries == null || entries.isEmpty()) {
                result.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                        "GET /api/rest/v2/models answered no productionApiAvailableModels", 200));
            } else if (entries.stream().anyMatch(this::isThisModel)) {
                result.complete(Optional.empty());
            } else {
                result.completeExceptionally(new ProviderFailure(FailureKind.MODEL_UNAVAILABLE, catalogEntry()
                        + " is not in Leonardo's models list (GET /api/rest/v2/models, " + entries.size() + " models)", 200));
            }
        });
        return result;
    }

    /** Suffix of the sandbox provider header on models-list checks, so that a fault plan can target them alone. */
    public static final String MODELS_SUFFIX = ".models";

    @Override
    public String remedy() {
        return "Check Leonardo's models list: if the model was renamed, correct catalog-name/catalog-id in providers/"
                + config.name() + ".yml; if it was retired, set another model (and its parameters) there, or disable the file; then reload";
    }

    private boolean isThisModel(LeonardoV2Wire.ModelEntry entry) {
        boolean byId = settings.catalogId().isPresent() && entry.id() != null
                && entry.id().trim().equalsIgnoreCase(settings.catalogId().get());
        boolean byName = settings.catalogName().isPresent() && entry.name() != null
                && entry.name().trim().toLowerCase(Locale.ROOT).equals(settings.catalogName().get().trim().toLowerCase(Locale.ROOT));
        return byId || byName;
    }

    private String catalogEntry() {
        return settings.catalogName().map(n -> "model \"" + n + "\"").orElse("model")
                + settings.catalogId().map(id -> " (id " + id + ")").orElse("");
    }

    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request) {
        return generate(request, PartialImageListener.NONE, JobListener.NONE);
    }

    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request, PartialImageListener partials) {
        return generate(request, partials, JobListener.NONE);
    }

    /**
     * Creates the job ({@code POST /api/rest/v2/generations}) and tracks it to its terminal state
     * ({@link LeonardoJobTracker}). Completes with the downloaded images (at the size asked of the model; the router
     * normalises them), or exceptionally with a {@link ProviderFailure} whose phase says whether the job had been
     * accepted and whether it was paid.
     */
    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request, PartialImageListener partials, JobListener jobs) {
        // the create and every poll of this job carry the attempt's trace context (current only here)
        Map<String, String> headers = context.trace().addTo(
                LeonardoClient.sandboxHeaders(context, config.name(), request.sandboxFaults()));
        String body;
        try {
            body = context.json().writeValueAsString(createBody(request));
        } catch (IOException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new ProviderFailure(FailureKind.INVALID_REQUEST,
                    "request could not be mapped to " + label + "'s parameters: " + e.getMessage()));
        }
        return tracker.create(() -> client.createGenerationV2(body, headers), this::createdJob, headers, jobs);
    }

    /** The v2 create body: {@code {"model", "public": false, "parameters"}}. */
    Map<String, Object> createBody(ImageRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", config.model());
        body.put("public", false);
        body.put("parameters", settings.parameters().of(request));
        return body;
    }

    private LeonardoWire.SdGenerationJob createdJob(String body) {
        LeonardoV2Wire.CreateResponse created = tracker.read(body, LeonardoV2Wire.CreateResponse.class);
        return created == null ? null : created.generate();
    }

    /** Tracks an accepted job after a restart, by its generationId ({@link LeonardoJobTracker#resume}). Nothing is created. */
    @Override
    public Optional<CompletableFuture<ProviderResult>> resume(ImageRequest request, String jobId) {
        Map<String, String> headers = context.trace().addTo(
                LeonardoClient.sandboxHeaders(context, config.name(), request.sandboxFaults()));
        return Optional.of(tracker.resume(jobId, headers));
    }

    /** Jobs accepted and not yet terminal, now. */
    public int activeJobs() {
        return tracker.activeJobs();
    }

    /** Closes the HTTP client once no accepted job is tracked any more (see {@link LeonardoJobTracker#close()}). */
    @Override
    public void close() {
        tracker.close();
    }
}
