package dev.imagerouter.provider.leonardo;

import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.vocabulary.GeneratedImage;
import dev.imagerouter.vocabulary.JobListener;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

// Over 300 lines because the whole life of a Leonardo job after its create (accept, poll, webhook, download, deadline) is kept in one place on purpose: the money-safety rules (never create a job twice, never abandon one) are checked by reading one file.

/*
 * Leonardo generation lifecycle (money safety), shared by the v1 and v2 adapters
 * ------------------------------------------------------------------------------
 * before accept  the create (v1 POST /generations, v2 POST /api/rest/v2/generations), sent by the adapter
 *                through create(...). An error answer fails BEFORE_ACCEPT (the router may retry it per
 *                policy). Sent without an answer (read timeout, reset) fails AMBIGUOUS: a job may exist
 *                and be paid, Leonardo has no idempotency key (UPDATES-2026.md §4), so the router does
 *                not retry it by default. A 2xx that names no generationId is AMBIGUOUS too.
 * accepted       the answer's generationId (v1 sdGenerationJob.generationId, v2 generate.generationId):
 *                the job is paid unless it ends FAILED. The JobListener hears it. From here the job is
 *                tracked to its end and never created again:
 *                - poll v1 GET /generations/{id} on the shared scheduler (v2 has no GET, UPDATES-2026
 *                  §1.2): first after poll.initial-delay (webhook.poll-initial-delay when callbacks are
 *                  on), then each delay x poll.multiplier up to poll.max-delay, +- poll.jitter; a poll
 *                  error (5xx, 429 with its Retry-After, network, an unreadable answer) only delays the
 *                  next poll (polls are free);
 *                - a webhook callback for the id (LeonardoWebhooks) ends the wait at once;
 *                - COMPLETE: download every image URL (allow-listed hosts, size cap); a transient
 *                  download failure retries the download with the same backoff;
 * terminal       COMPLETE and downloaded (the result), FAILED (GENERATION_FAILED, not paid), or
 *                job-max-age after the create (TIMEOUT, paid): no poll and no download happens after
 *                job-max-age. A failure after accept says ACCEPTED and whether it was paid.
 * resume         after a restart, a job known by its generationId is tracked the same way from
 *                "accepted" on (resume(...)); nothing is created.
 * The returned future is this whole life; the router never cancels it. When the router's attempt
 * times out first, the router decides by policy (fall back, or wait) and takes the late result.
 * No thread waits between polls.
 */
/**
 * Creates Leonardo jobs through a create call its adapter supplies and tracks every accepted job to its
 * terminal state (see the lifecycle above). One per adapter instance, owning the adapter's
 * {@link LeonardoClient}: {@link #close()} closes it once no accepted job is tracked. Thread-safe.
 */
public final class LeonardoJobTracker implements AutoCloseable {

    private final String model;
    private final LeonardoJobSettings settings;
    private final ProviderContext context;
    private final LeonardoClient client;
    private final LeonardoFailureClassifier classifier;
    private final LeonardoWebhooks webhooks;
    private final AtomicInteger activeJobs = new AtomicInteger();
    private final AtomicLong pollErrors = new AtomicLong();
    private volatile boolean closing;

    /**
     * @param model the model the results report ({@link ProviderResult#model()}): the v1 model id or the v2 slug
     */
    public LeonardoJobTracker(String model, LeonardoJobSettings settings, ProviderContext context, LeonardoClient client,
                              LeonardoFailureClassifier classifier, LeonardoWebhooks webhooks) {
        this.model = model;
        this.settings = settings;
        this.context = context;
        this.client = client;
        this.classifier = classifier;
        this.webhooks = webhooks;
    }

    /**
     * Sends one create and, once Leonardo accepted it, tracks the job to its terminal state.
     *
     * @param send    sends the create (called once, here); completes with the 2xx body or fails with the HTTP client's error
     * @param answer  reads the create answer's job ({@code generationId}, {@code cost}, {@code apiCreditCost}); null
     *                or a throw when the body has none
     * @param headers sent with every poll of the job (sandbox and trace headers)
     * @param jobs    hears the generationId once the job is accepted
     * @return completes with the downloaded images, or exceptionally with a {@link ProviderFailure} whose phase says
     *         whether the job had been accepted and whether it was paid
     */
    public CompletableFuture<ProviderResult> create(Supplier<CompletableFuture<String>> send,
                                                    Function<String, LeonardoWire.SdGenerationJob> answer,
                                                    Map<String, String> headers, JobListener jobs) {
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + settings.jobMaxAge().toNanos();
        CompletableFuture<String> call;
        try {
            call = send.get();
        } catch (RuntimeException e) { // refused before anything was sent (a closed client, a request it cannot build)
            result.completeExceptionally(classifier.classify(e));
            return result;
        }
        call.whenComplete((responseBody, error) -> {
            if (error != null) {
                ProviderFailure failure = classifier.classify(error);
                result.completeExceptionally(classifier.sentWithoutAnswer(error) ? failure.ambiguous() : failure);
                return;
            }
            LeonardoWire.SdGenerationJob job;
            try {
                job = answer.apply(responseBody);
            } catch (RuntimeException e) {
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
    public CompletableFuture<ProviderResult> resume(String jobId, Map<String, String> headers) {
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + settings.jobMaxAge().toNanos();
        new TrackedJob(jobId, headers, Optional.empty(), deadline, result).start();
        return result;
    }

    /** Reads a JSON body as {@code type}; null when it does not parse. */
    public <T> T read(String body, Class<T> type) {
        try {
            return context.json().readValue(body, type);
        } catch (IOException | RuntimeException e) {
            return null;
        }
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
            CompletableFuture<String> call;
            try {
                call = client.getGeneration(id, headers);
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            call.whenComplete((body, error) -> {
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
                    result.complete(new ProviderResult(images, model, Optional.of(id), cost));
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

    /**
     * The cost a create answer reports: {@code cost {amount, unit}} (a decimal string; DOLLARS → USD, anything
     * else → CREDITS), else the deprecated {@code apiCreditCost} in credits, else empty
     * (shared/specs/leonardo/UPDATES-2026.md §3.1: parse every field as optional, never add CREDITS to DOLLARS).
     */
    public static Optional<ProviderResult.Cost> cost(LeonardoWire.SdGenerationJob job) {
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
     * the adapter, but its jobs in flight are paid and still need their polls and downloads.
     */
    @Override
    public void close() {
        closing = true;
        if (activeJobs.get() == 0) {
            client.close();
        }
    }
}
