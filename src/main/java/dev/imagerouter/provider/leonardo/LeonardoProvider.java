package dev.imagerouter.provider.leonardo;

import dev.imagerouter.provider.GeneratedImage;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.provider.ImageRequest;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.provider.ProviderFailure;
import dev.imagerouter.provider.ProviderResult;
import dev.imagerouter.routing.policy.FailureKind;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/*
 * Leonardo generation lifecycle
 * -----------------------------
 * 1. POST /generations (Phoenix model id, alchemy, contrast, presetStyle/styleUUID, width/height,
 *    num_images, seed) → generationId and the cost of the job.
 * 2. Poll GET /generations/{id} on the shared scheduler: first after poll.initial-delay, then each
 *    delay × poll.multiplier up to poll.max-delay, each ± poll.jitter. No thread waits between
 *    polls. A webhook callback for the id (LeonardoWebhooks) completes the wait at once; with
 *    webhook.enabled the first poll waits webhook.poll-initial-delay instead (polling is the fallback).
 * 3. COMPLETE → download every image URL (allow-listed hosts, size cap); FAILED → GENERATION_FAILED.
 * The whole attempt is bounded by the provider timeout, applied by the router's time limiter, which
 * cancels the returned future; the poll loop stops when it sees the future done.
 */
/** The Leonardo adapter: one instance per provider file of type {@code leonardo}. Thread-safe. */
public final class LeonardoProvider implements ImageProvider, AutoCloseable {

    private static final int MAX_CONSECUTIVE_POLL_ERRORS = 3;

    private final ProviderConfig config;
    private final LeonardoSettings settings;
    private final ProviderContext context;
    private final LeonardoClient client;
    private final LeonardoFailureClassifier classifier;
    private final LeonardoWebhooks webhooks;

    public LeonardoProvider(ProviderConfig config, LeonardoSettings settings, ProviderContext context,
                            LeonardoWebhooks webhooks, Clock clock) {
        this.config = config;
        this.settings = settings;
        this.context = context;
        this.webhooks = webhooks;
        this.client = new LeonardoClient(config.baseUrl(), config.apiKey().orElse(""), config.timeout());
        this.classifier = new LeonardoFailureClassifier(context.json(), clock);
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
    public java.util.Optional<dev.imagerouter.provider.Unsupported> unsupported(ImageRequest request) {
        if (request.prompt().codePointCount(0, request.prompt().length()) > MAX_PROMPT) {
            return java.util.Optional.of(new dev.imagerouter.provider.Unsupported("prompt",
                    "prompt longer than Leonardo's " + MAX_PROMPT + " characters"));
        }
        if (request.negativePrompt().map(n -> n.codePointCount(0, n.length()) > MAX_PROMPT).orElse(false)) {
            return java.util.Optional.of(new dev.imagerouter.provider.Unsupported("negative_prompt",
                    "negative_prompt longer than Leonardo's " + MAX_PROMPT + " characters"));
        }
        if (ImageRequest.BACKGROUND_TRANSPARENT.equals(request.background())) {
            return java.util.Optional.of(new dev.imagerouter.provider.Unsupported("background",
                    "Leonardo Phoenix cannot make transparent backgrounds"));
        }
        return java.util.Optional.empty();
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
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        Map<String, String> headers = LeonardoClient.sandboxHeaders(context, config.name(), request.sandboxFaults());
        String body;
        try {
            body = context.json().writeValueAsString(createBody(request));
        } catch (IOException e) {
            result.completeExceptionally(new ProviderFailure(FailureKind.INVALID_REQUEST, "request could not be encoded"));
            return result;
        }
        client.createGeneration(body, headers).whenComplete((responseBody, error) -> {
            if (error != null) {
                result.completeExceptionally(classifier.classify(error));
                return;
            }
            LeonardoWire.SdGenerationJob job;
            try {
                LeonardoWire.CreateResponse created = context.json().readValue(responseBody, LeonardoWire.CreateResponse.class);
                job = created == null ? null : created.sdGenerationJob();
            } catch (IOException | RuntimeException e) {
                job = null;
            }
            if (job == null || job.generationId() == null || job.generationId().isBlank()) {
                result.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "create answer has no generationId", 200));
                return;
            }
            Optional<ProviderResult.Cost> cost = cost(job);
            String id = job.generationId();
            CompletableFuture<LeonardoWire.Generation> done = new CompletableFuture<>();
            webhooks.register(id, done);
            result.whenComplete((r, e) -> {
                webhooks.unregister(id);
                done.cancel(false);
            });
            schedulePoll(id, headers, done, settings.firstPollDelay(), 0);
            done.thenCompose(generation -> downloadImages(id, generation))
                    .whenComplete((images, e) -> {
                        if (e != null) {
                            result.completeExceptionally(classifier.classify(e));
                        } else {
                            result.complete(new ProviderResult(images, config.model(), Optional.of(id), cost));
                        }
                    });
        });
        return result;
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

    private void schedulePoll(String id, Map<String, String> headers, CompletableFuture<LeonardoWire.Generation> done,
                              Duration delay, int consecutiveErrors) {
        if (done.isDone()) {
            return;
        }
        context.scheduler().schedule(() -> poll(id, headers, done, delay, consecutiveErrors),
                jittered(delay).toNanos(), TimeUnit.NANOSECONDS);
    }

    private void poll(String id, Map<String, String> headers, CompletableFuture<LeonardoWire.Generation> done,
                      Duration delay, int consecutiveErrors) {
        if (done.isDone()) {
            return;
        }
        Duration next = nextDelay(delay);
        client.getGeneration(id, headers).whenComplete((body, error) -> {
            if (done.isDone()) {
                return;
            }
            if (error != null) {
                ProviderFailure failure = classifier.classify(error);
                boolean transientError = failure.kind() == FailureKind.SERVER_ERROR || failure.kind() == FailureKind.NETWORK
                        || failure.kind() == FailureKind.TIMEOUT || failure.kind() == FailureKind.RATE_LIMITED;
                if (transientError && consecutiveErrors + 1 < MAX_CONSECUTIVE_POLL_ERRORS) {
                    schedulePoll(id, headers, done, next, consecutiveErrors + 1);
                } else {
                    done.completeExceptionally(failure);
                }
                return;
            }
            LeonardoWire.Generation generation;
            try {
                LeonardoWire.GenerationResponse response = context.json().readValue(body, LeonardoWire.GenerationResponse.class);
                generation = response == null ? null : response.generation();
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                        "generation " + id + ": unparsable poll answer", 200));
                return;
            }
            handleStatus(id, generation, done, () -> schedulePoll(id, headers, done, next, 0));
        });
    }

    /** Applies one observed generation state (from a poll or a webhook); shared by both paths. */
    static void handleStatus(String id, LeonardoWire.Generation generation, CompletableFuture<LeonardoWire.Generation> done,
                             Runnable stillPending) {
        if (generation == null) {
            done.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                    "generation " + id + ": generations_by_pk is null", 200));
        } else if ("COMPLETE".equals(generation.status())) {
            done.complete(generation);
        } else if ("FAILED".equals(generation.status())) {
            done.completeExceptionally(new ProviderFailure(FailureKind.GENERATION_FAILED,
                    "generation " + id + " FAILED", 200));
        } else if ("PENDING".equals(generation.status())) {
            stillPending.run();
        } else {
            done.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                    "generation " + id + ": unknown status " + generation.status(), 200));
        }
    }

    private CompletableFuture<List<GeneratedImage>> downloadImages(String id, LeonardoWire.Generation generation) {
        List<LeonardoWire.Image> images = generation.generatedImages() == null ? List.of() : generation.generatedImages();
        List<String> urls = images.stream().map(LeonardoWire.Image::url).filter(u -> u != null && !u.isBlank()).toList();
        if (urls.isEmpty()) {
            return CompletableFuture.failedFuture(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                    "generation " + id + " is COMPLETE with no images", 200));
        }
        List<CompletableFuture<GeneratedImage>> downloads = urls.stream().map(context.downloader()::download).toList();
        return CompletableFuture.allOf(downloads.toArray(CompletableFuture[]::new))
                .thenApply(v -> downloads.stream().map(CompletableFuture::join).toList());
    }

    private Optional<ProviderResult.Cost> cost(LeonardoWire.SdGenerationJob job) {
        if (job.cost() != null && job.cost().amount() != null) {
            try {
                String unit = "DOLLARS".equalsIgnoreCase(job.cost().unit()) ? ProviderResult.Cost.USD : ProviderResult.Cost.CREDITS;
                return Optional.of(new ProviderResult.Cost(new BigDecimal(job.cost().amount().trim()), unit));
            } catch (NumberFormatException ignored) {
                // fall back to the deprecated field
            }
        }
        return Optional.ofNullable(job.apiCreditCost()).map(c -> new ProviderResult.Cost(c, ProviderResult.Cost.CREDITS));
    }

    private Duration nextDelay(Duration delay) {
        long next = (long) (delay.toMillis() * settings.pollMultiplier());
        return Duration.ofMillis(Math.min(next, settings.pollMaxDelay().toMillis()));
    }

    private Duration jittered(Duration delay) {
        double spread = settings.pollJitter();
        if (spread == 0) {
            return delay;
        }
        double factor = 1 + ThreadLocalRandom.current().nextDouble(-spread, spread);
        return Duration.ofMillis(Math.max(1, (long) (delay.toMillis() * factor)));
    }

    @Override
    public void close() {
        client.close();
    }
}
