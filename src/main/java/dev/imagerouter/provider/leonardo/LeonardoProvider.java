package dev.imagerouter.provider.leonardo;

import dev.imagerouter.vocabulary.GeneratedImage;
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
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

// Over 300 lines because the whole Leonardo job lifecycle (create, poll, webhook, download, deadline) on purpose: the money-safety rules (never create a job twice, never abandon one) are checked by reading one file.

/*
 * Leonardo generation lifecycle (money safety)
 * --------------------------------------------
 * before accept  POST /generations (Phoenix model id, alchemy, contrast, presetStyle/styleUUID,
 *                width/height, num_images, seed). An error answer fails BEFORE_ACCEPT (the router may
 *                retry it per policy). Sent without an answer (read timeout, reset) fails AMBIGUOUS: a
 *                job may exist and be paid, Leonardo has no idempotency key, so the router does not
 *                retry it by default.
 * accepted       the answer's generationId: the job is paid unless it ends FAILED. The JobListener
 *                hears it. From here the job is tracked to its end and never created again:
 *                - poll GET /generations/{id} on the shared scheduler: first after poll.initial-delay
 *                  (webhook.poll-initial-delay when callbacks are on), then each delay x poll.multiplier
 *                  up to poll.max-delay, +- poll.jitter; a poll error (5xx, 429 with its Retry-After,
 *                  network, an unreadable answer) only delays the next poll (polls are free);
 *                - a webhook callback for the id (LeonardoWebhooks) ends the wait at once;
 *                - COMPLETE: download every image URL (allow-listed hosts, size cap); a transient
 *                  download failure retries the download with the same backoff;
 * terminal       COMPLETE and downloaded (the result), FAILED (GENERATION_FAILED, not paid), or
 *                job-max-age after the create (TIMEOUT, paid): no poll and no download happens after
 *                job-max-age. A failure after accept says ACCEPTED and whether it was paid.
 * The returned future is this whole life; the router never cancels it. When the router's attempt
 * times out first, the router decides by policy (fall back, or wait) and takes the late result.
 * No thread waits between polls.
 */
/** The Leonardo adapter: one instance per provider file of type {@code leonardo}. Thread-safe. */
public final class LeonardoProvider implements ImageProvider, dev.imagerouter.provider.BalanceSource, AutoCloseable {

    private final ProviderConfig config;
    private final LeonardoSettings settings;
    private final ProviderContext context;
    private final LeonardoClient client;
    private final LeonardoFailureClassifier classifier;
    private final LeonardoWebhooks webhooks;
    private final java.util.concurrent.atomic.AtomicInteger activeJobs = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong pollErrors = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closing;

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

    /**
     * {@code GET /me} (shared/specs/leonardo/WIRE.md §4): {@code apiSubscriptionTokens + apiPaidTokens} of
     * the first user, as a decimal (fractional and negative values kept as they are).
     */
    @Override
    public CompletableFuture<BigDecimal> balance(Map<String, String> headers) {
        CompletableFuture<String> call;
        try {
            call = client.me(headers);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<String> exchange = call;
        CompletableFuture<BigDecimal> result = new CompletableFuture<>();
        exchange.whenComplete((body, error) -> {
            if (error != null) {
                result.completeExceptionally(classifier.classify(error));
                return;
            }
            Optional<BigDecimal> balance = parseBalance(body);
            if (balance.isPresent()) {
                result.complete(balance.get());
            } else {
                result.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                        "GET /me answer has no apiSubscriptionTokens/apiPaidTokens", 200));
            }
        });
        result.whenComplete((b, e) -> {
            if (result.isCancelled()) {
                exchange.cancel(true);
            }
        });
        return result;
    }

    /** {@code apiSubscriptionTokens + apiPaidTokens} of the first user; empty when neither is there or the body does not parse. */
    Optional<BigDecimal> parseBalance(String body) {
        try {
            LeonardoWire.MeResponse me = context.json().readValue(body, LeonardoWire.MeResponse.class);
            if (me == null || me.userDetails() == null || me.userDetails().isEmpty() || me.userDetails().get(0) == null) {
                return Optional.empty();
            }
            LeonardoWire.UserDetails u = me.userDetails().get(0);
            if (u.apiSubscriptionTokens() == null && u.apiPaidTokens() == null) {
                return Optional.empty();
            }
            BigDecimal subscription = u.apiSubscriptionTokens() == null ? BigDecimal.ZERO : u.apiSubscriptionTokens();
            BigDecimal paid = u.apiPaidTokens() == null ? BigDecimal.ZERO : u.apiPaidTokens();
            return Optional.of(subscription.add(paid));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
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
     * Creates the job and tracks it to its terminal state (see the lifecycle above). Completes with
     * the downloaded images, or exceptionally with a {@link ProviderFailure} whose phase says whether
     * the job had been accepted and whether it was paid.
     */
    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request, dev.imagerouter.vocabulary.PartialImageListener partials,
                                                      JobListener jobs) {
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        // the create and every poll of this job carry the attempt's trace context (current only here)
        Map<String, String> headers = context.trace().addTo(
                LeonardoClient.sandboxHeaders(context, config.name(), request.sandboxFaults()));
        String body;
        try {
            body = context.json().writeValueAsString(createBody(request));
        } catch (IOException e) {
            result.completeExceptionally(new ProviderFailure(FailureKind.INVALID_REQUEST, "request could not be encoded"));
            return result;
        }
        long deadline = System.nanoTime() + settings.jobMaxAge().toNanos();
        client.createGeneration(body, headers).whenComplete((responseBody, error) -> {
            if (error != null) {
                ProviderFailure failure = classifier.classify(error);
                result.completeExceptionally(classifier.sentWithoutAnswer(error) ? failure.ambiguous() : failure);
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
                // a 2xx to a create may well have made a (paid) job that this answer does not name
                result.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                        "create answer has no generationId", 200).ambiguous());
                return;
            }
            String id = job.generationId();
            try {
                jobs.accepted(id);
            } catch (RuntimeException e) {
                // a listener's bug must not abandon a paid job
            }
            new TrackedJob(id, headers, cost(job), deadline, result).start();
        });
        return result;
    }

    /**
     * Tracks an accepted job ({@code generationId}) after a restart: polls (and the webhook), then
     * the download, bounded by {@code job-max-age} from now. Nothing is created. Its cost is
     * unknown here (the create's answer carried it), so the result reports none.
     */
    @Override
    public Optional<CompletableFuture<ProviderResult>> resume(ImageRequest request, String jobId) {
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        Map<String, String> headers = context.trace().addTo(
                LeonardoClient.sandboxHeaders(context, config.name(), request.sandboxFaults()));
        long deadline = System.nanoTime() + settings.jobMaxAge().toNanos();
        new TrackedJob(jobId, headers, Optional.empty(), deadline, result).start();
        return Optional.of(result);
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

    /**
     * One accepted job, tracked to its terminal state: polls (and the webhook), then the download,
     * bounded by the job's deadline (create + job-max-age, monotonic clock).
     */
    private final class TrackedJob {
        private final String id;
        private final Map<String, String> headers;
        private final Optional<ProviderResult.Cost> cost;
        private final long deadline;
        private final CompletableFuture<ProviderResult> result;
        private final CompletableFuture<LeonardoWire.Generation> done = new CompletableFuture<>();
        private volatile String lastPollError;

        TrackedJob(String id, Map<String, String> headers, Optional<ProviderResult.Cost> cost, long deadline,
                   CompletableFuture<ProviderResult> result) {
            this.id = id;
            this.headers = headers;
            this.cost = cost;
            this.deadline = deadline;
            this.result = result;
        }

        void start() {
            activeJobs.incrementAndGet();
            webhooks.register(id, done);
            result.whenComplete((r, e) -> {
                webhooks.unregister(id);
                done.cancel(false);
                if (activeJobs.decrementAndGet() == 0 && closing) {
                    client.close();
                }
            });
            done.whenComplete((generation, error) -> {
                if (error != null) {
                    ProviderFailure failure = classifier.classify(error);
                    // FAILED is the one terminal state Leonardo does not charge for
                    fail(failure, failure.kind() != FailureKind.GENERATION_FAILED);
                } else {
                    download(generation, settings.pollInitialDelay());
                }
            });
            schedulePoll(settings.firstPollDelay());
        }

        private long remainingNanos() {
            return deadline - System.nanoTime();
        }

        private void fail(ProviderFailure failure, boolean paid) {
            result.completeExceptionally(failure.accepted(paid, cost));
        }

        private void expire(String what) {
            String last = lastPollError;
            fail(new ProviderFailure(FailureKind.TIMEOUT, "generation " + id + ": job-max-age "
                    + settings.jobMaxAge() + " passed " + what + (last == null ? "" : "; last poll error: " + last)), true);
        }

        private void schedulePoll(Duration delay) {
            if (done.isDone()) {
                return;
            }
            long remaining = remainingNanos();
            if (remaining <= 0) {
                expire("while it was PENDING");
                return;
            }
            long wait = Math.min(jittered(delay).toNanos(), remaining);
            context.scheduler().schedule(() -> poll(delay), wait, TimeUnit.NANOSECONDS);
        }

        private void poll(Duration delay) {
            if (done.isDone()) {
                return;
            }
            if (remainingNanos() <= 0) {
                expire("while it was PENDING");
                return;
            }
            Duration next = nextDelay(delay);
            client.getGeneration(id, headers).whenComplete((body, error) -> {
                if (done.isDone()) {
                    return;
                }
                if (error != null) {
                    // polls are free: any error only delays the next one (honouring a Retry-After)
                    ProviderFailure failure = classifier.classify(error);
                    Duration wait = failure.retryAfter().filter(r -> r.compareTo(next) > 0).orElse(next);
                    lastPollError = failure.getMessage();
                    pollErrors.incrementAndGet();
                    schedulePoll(wait);
                    return;
                }
                LeonardoWire.Generation generation;
                try {
                    LeonardoWire.GenerationResponse response = context.json().readValue(body, LeonardoWire.GenerationResponse.class);
                    generation = response == null ? null : response.generation();
                } catch (IOException | RuntimeException e) {
                    lastPollError = "unparsable poll answer";
                    pollErrors.incrementAndGet();
                    schedulePoll(next);
                    return;
                }
                handleStatus(id, generation, done, () -> schedulePoll(next));
            });
        }

        private void download(LeonardoWire.Generation generation, Duration delay) {
            downloadImages(id, generation).whenComplete((images, error) -> {
                if (error == null) {
                    result.complete(new ProviderResult(images, config.model(), Optional.of(id), cost));
                    return;
                }
                ProviderFailure failure = classifier.classify(error);
                boolean transientFailure = failure.kind() == FailureKind.NETWORK || failure.kind() == FailureKind.SERVER_ERROR
                        || failure.kind() == FailureKind.TIMEOUT || failure.kind() == FailureKind.RATE_LIMITED
                        // a CDN status worth another try: 5xx, 429, 408, and 404 (a URL read just after COMPLETE)
                        || failure.httpStatus().map(st -> st >= 500 || st == 429 || st == 408 || st == 404).orElse(false);
                long remaining = remainingNanos();
                if (!transientFailure || remaining <= 0) {
                    fail(failure, true);
                    return;
                }
                long wait = Math.min(jittered(delay).toNanos(), remaining);
                context.scheduler().schedule(() -> {
                    if (remainingNanos() <= 0) {
                        expire("before its images could be downloaded (" + failure.getMessage() + ")");
                    } else {
                        download(generation, nextDelay(delay));
                    }
                }, wait, TimeUnit.NANOSECONDS);
            });
        }
    }

    /**
     * Applies one observed generation state (from a poll or a webhook); shared by both paths.
     * COMPLETE and FAILED end the wait; PENDING, an unknown status and a missing generation
     * ({@code generations_by_pk: null}, e.g. read just after the create) run {@code stillPending}:
     * only the job's own terminal state or its deadline ends an accepted job.
     */
    static void handleStatus(String id, LeonardoWire.Generation generation, CompletableFuture<LeonardoWire.Generation> done,
                             Runnable stillPending) {
        if (generation != null && "COMPLETE".equals(generation.status())) {
            done.complete(generation);
        } else if (generation != null && "FAILED".equals(generation.status())) {
            done.completeExceptionally(new ProviderFailure(FailureKind.GENERATION_FAILED,
                    "generation " + id + " FAILED", 200));
        } else {
            stillPending.run();
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

    /** Jobs accepted and not yet terminal, now. */
    public int activeJobs() {
        return activeJobs.get();
    }

    /** Poll answers that were errors (and only delayed the next poll), since start. */
    public long pollErrors() {
        return pollErrors.get();
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

    /**
     * Closes the HTTP client once no accepted job is tracked any more: a configuration reload retires
     * this adapter, but its jobs in flight are paid and still need their polls and downloads.
     */
    @Override
    public void close() {
        closing = true;
        if (activeJobs.get() == 0) {
            client.close();
        }
    }
}
