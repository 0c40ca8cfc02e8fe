package dev.imagerouter.routing;

import dev.imagerouter.cache.CachedGeneration;
import dev.imagerouter.cache.IdempotencyKeys;
import dev.imagerouter.cache.SharedIdempotencyKeys;
import dev.imagerouter.cache.RequestHasher;
import dev.imagerouter.cache.ResultCache;
import dev.imagerouter.vocabulary.GeneratedImage;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.LogContext;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.storage.ImageNormaliser;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.storage.StorageProbe;
import dev.imagerouter.storage.StorageThreads;
import dev.imagerouter.tracing.Activation;
import dev.imagerouter.tracing.TraceParent;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/*
 * request → request hash → cache (single flight, disk records) → router (chain walk) →
 * normalise every image to the requested size and format → content-addressed store → answer →
 * per-hash record. Images are stored before the future completes, so nothing paid for is lost
 * even if the client has gone away. Decoding and resizing run on the bounded image-work pool, never
 * on an event-loop or provider I/O thread; an image that is already the requested size and format
 * is only checked (PNG structure), on the thread that has it. Storing runs on a storage-io worker,
 * in place when the provider's response already arrived on one.
 * Log context: a generation runs with its request's MDC plus request_hash, reopened on the storage
 * worker that stores its images and on the one that stores a late result (vocabulary.LogContext).
 * Tracing: the images are stored under the walk's trace context (RouteOptions.trace()), so each
 * write's span is a child of the request's.
 * Listeners: every request answered with images (generated, joined, cached, replayed, resumed) is told
 * to the GenerationListeners (the generation history) when its answer is ready, never inline work.
 */
/** Produces generations for the API: cache in front, router behind, storage after. Thread-safe. */
@Singleton
public class GenerationService {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GenerationService.class);

    /** What the API needs to answer. */
    public record Generation(CachedGeneration generation, boolean cached, String requestHash) {
    }

    private final RunningRouter runtime;
    private final Router router;
    private final ResultCache cache;
    private final RequestHasher hasher;
    private final ImageNormaliser normaliser;
    private final ImageStore store;
    private final ExecutorService imageWork;
    private final ExecutorService storageIo;
    private final Clock clock;
    private final IdempotencyKeys<Generation> idempotencyKeys;
    /** The keys shared by replicas while Redis is up (REDIS_URI); {@link #idempotencyKeys} otherwise. */
    private final SharedIdempotencyKeys sharedKeys;
    private final StorageProbe storageProbe;
    private final Draining draining;
    private final List<GenerationListener> listeners;
    /** Generations this process is producing (walk and store), until their answer is ready. */
    private final java.util.Set<CompletableFuture<CachedGeneration>> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public GenerationService(RunningRouter runtime, Router router, ResultCache cache, RequestHasher hasher,
                             ImageNormaliser normaliser, ImageStore store, @Named("image-work") ExecutorService imageWork,
                             @Named("storage-io") ExecutorService storageIo,
                             Clock clock, StorageProbe storageProbe, Draining draining, List<GenerationListener> listeners,
                             SharedIdempotencyKeys sharedKeys) {
        this.listeners = List.copyOf(listeners);
        this.sharedKeys = sharedKeys;
        this.storageProbe = storageProbe;
        this.draining = draining;
        this.runtime = runtime;
        this.router = router;
        this.cache = cache;
        this.hasher = hasher;
        this.normaliser = normaliser;
        this.store = store;
        this.imageWork = imageWork;
        this.storageIo = storageIo;
        this.clock = clock;
        // per client, at most router.cache.idempotency-keys-per-client keys each (read once: applies at restart)
        this.idempotencyKeys = new IdempotencyKeys<>(runtime.config().cache().ttl(),
                runtime.config().cache().idempotencyKeysPerClient(), com.github.benmanes.caffeine.cache.Ticker.systemTicker());
    }

    /**
     * Loads the WebP encoder (a native library, probed with a 2x2 image once) on the image-work pool
     * at startup, so that the first webp request does not pay for it on an event-loop thread.
     */
    @io.micronaut.runtime.event.annotation.EventListener
    void warmEncoders(io.micronaut.runtime.server.event.ServerStartupEvent event) {
        imageWork.execute(normaliser::outputFormats);
    }

    /**
     * @param namespace the client's name, part of the hash when per-client isolation is on
     * @param noCache   {@code Cache-Control: no-cache}: generate (or join an identical no-cache
     *                  generation in flight), then replace the entry
     * @return the generation, or failed with {@link ChainFailedException}
     */
    public CompletableFuture<Generation> generate(ImageRequest request, Optional<String> namespace, boolean noCache,
                                                  String requestId) {
        return generate(request, namespace, noCache, requestId, Optional.empty());
    }

    /**
     * As {@link #generate(ImageRequest, Optional, boolean, String)}, bound to the client's
     * {@code Idempotency-Key} when one is given: a repeat of the key returns the first request's
     * result (as cached) even with no-cache.
     *
     * @throws IdempotencyKeys.KeyReusedException when the key was used with a different request
     */
    public CompletableFuture<Generation> generate(ImageRequest request, Optional<String> namespace, boolean noCache,
                                                  String requestId, Optional<String> idempotencyKey) {
        return generate(request, namespace, noCache, requestId, idempotencyKey, PartialImageListener.NONE);
    }

    /**
     * As {@link #generate(ImageRequest, Optional, boolean, String, Optional)}, relaying the partial
     * images of a streaming provider to {@code partials} when this request is the one that calls
     * the provider (not when it joins another's flight or is answered from the cache).
     *
     * @throws IdempotencyKeys.KeyReusedException  when the key was used with a different request
     * @throws RequestUnsupportedException when no provider of the chain can serve the request as asked, or
     *                                     its output format cannot be encoded here (WebP's native encoder did not load)
     */
    public CompletableFuture<Generation> generate(ImageRequest request, Optional<String> namespace, boolean noCache,
                                                  String requestId, Optional<String> idempotencyKey,
                                                  PartialImageListener partials) {
        return generate(request, namespace, noCache, requestId, idempotencyKey, RouteOptions.sync(partials));
    }

    /**
     * As {@link #generate(ImageRequest, Optional, boolean, String, Optional, PartialImageListener)},
     * the walk run with {@code options} (an asynchronous job's queueing, observer and cancellation)
     * when this request is the one that calls the providers.
     *
     * @throws IdempotencyKeys.KeyReusedException  when the key was used with a different request
     * @throws RequestUnsupportedException when no provider of the chain can serve the request as asked
     */
    public CompletableFuture<Generation> generate(ImageRequest request, Optional<String> namespace, boolean noCache,
                                                  String requestId, Optional<String> idempotencyKey,
                                                  RouteOptions options) {
        checkServable(request);
        long start = System.nanoTime();
        if (idempotencyKey.isEmpty()) {
            return answered(generateOnce(request, namespace, noCache, requestId, options), request, namespace, requestId, start);
        }
        String hash = hasher.hash(request, runtime.config().cache().perClient() ? namespace : Optional.empty());
        if (sharedKeys.use()) {
            return sharedKeys(request, namespace, noCache, requestId, idempotencyKey.get(), options, hash);
        }
        // the client's name; "" is the one anonymous client of open sandbox mode (no keys configured)
        IdempotencyKeys.Replay<Generation> replay = idempotencyKeys.resolve(namespace.orElse(""), idempotencyKey.get(), hash,
                () -> generateOnce(request, namespace, noCache, requestId, options));
        return answered(replay.replayed()
                ? replay.result().thenApply(g -> new Generation(g.generation(), true, g.requestHash()))
                : replay.result(), request, namespace, requestId, start);
    }

    /** Tells the {@link GenerationListener}s about {@code answer} once it has images; returns it unchanged. */
    private CompletableFuture<Generation> answered(CompletableFuture<Generation> answer, ImageRequest request,
                                                   Optional<String> namespace, String requestId, long start) {
        if (listeners.isEmpty()) {
            return answer;
        }
        answer.whenComplete((g, error) -> {
            if (g == null) {
                return;
            }
            GenerationListener.Answered answered = new GenerationListener.Answered(requestId, namespace, request, g,
                    clock.instant(), System.nanoTime() - start);
            for (GenerationListener l : listeners) {
                try {
                    l.onAnswered(answered);
                } catch (RuntimeException e) {
                    LOG.warn("generation listener failed: {}", e.toString());
                }
            }
        });
        return answer;
    }

    /**
     * The key bound in Redis, for every replica: the first request generates; a replay of the same
     * request is answered with its hash's cached result (no-cache or not); the key with another
     * request fails with {@link IdempotencyKeys.KeyReusedException}; Redis failing on the way hands
     * over to this replica's own keys.
     */
    private CompletableFuture<Generation> sharedKeys(ImageRequest request, Optional<String> namespace, boolean noCache,
                                                     String requestId, String key, RouteOptions options, String hash) {
        String client = namespace.orElse("");
        return sharedKeys.bind(client, key, hash).thenCompose(binding -> switch (binding) {
            case NEW -> {
                CompletableFuture<Generation> first = generateOnce(request, namespace, noCache, requestId, options);
                first.whenComplete((g, e) -> {
                    if (e == null) {
                        sharedKeys.done(client, key, hash);
                    } else {
                        sharedKeys.forget(client, key, hash);
                    }
                });
                yield first;
            }
            case REPLAY -> generateOnce(request, namespace, false, requestId, options)
                    .thenApply(g -> new Generation(g.generation(), true, g.requestHash()));
            case REUSED -> CompletableFuture.failedFuture(new IdempotencyKeys.KeyReusedException());
            case UNAVAILABLE -> {
                IdempotencyKeys.Replay<Generation> replay = idempotencyKeys.resolve(client, key, hash,
                        () -> generateOnce(request, namespace, noCache, requestId, options));
                yield replay.replayed()
                        ? replay.result().thenApply(g -> new Generation(g.generation(), true, g.requestHash()))
                        : replay.result();
            }
        });
    }

    /**
     * Picks up an asynchronous job's generation after a restart: {@code provider} had accepted the
     * paid job {@code jobId}, which is tracked to its end (never created again); if it fails, the
     * walk falls back from there. The result becomes the cached one of its request hash (it is paid for
     * and is what the job answers) unless a no-cache generation of the hash is in flight.
     */
    public CompletableFuture<Generation> resume(ImageRequest request, Optional<String> namespace, String requestId,
                                                RouteOptions options, String provider, String jobId) {
        long start = System.nanoTime();
        String hash = requestHash(request, namespace);
        Chain chain = runtime.chain();
        // not through the cache's single flight: a flight of the same hash must not take the place of
        // tracking this paid job
        CompletableFuture<CachedGeneration> produced;
        try (LogContext.Scope ignored = LogContext.open(LogContext.capture(), LogContext.REQUEST_HASH, hash)) {
            produced = produce(hash, request, requestId, options.trace(),
                    processor -> router.resume(chain, request, requestId, processor, options, provider, jobId));
        }
        return answered(produced
                .thenCompose(generation -> cache.refresh(hash, () -> CompletableFuture.completedFuture(generation))
                        .handle((answer, error) -> new Generation(generation, false, hash))), request, namespace, requestId, start);
    }

    /**
     * Generations in flight in this process: walks (provider calls, fallbacks, a job waiting for
     * permits) and the storing of their images, until the answer is ready. A request answered from
     * the cache or joining another's generation adds none.
     */
    public int inFlight() {
        return inFlight.size();
    }

    /**
     * The shutdown's grace is over: every generation still in flight fails at once with
     * {@link ShuttingDownException}, so its waiting requests are answered (503) instead of cut off.
     * The provider work itself is not cancelled (an accepted job is paid; a job's record keeps its id).
     *
     * @return how many were in flight
     */
    public int abandonInFlight() {
        int n = 0;
        for (CompletableFuture<CachedGeneration> f : List.copyOf(inFlight)) {
            if (f.completeExceptionally(shuttingDown("this generation did not finish within its grace period"))) {
                n++;
            }
        }
        return n;
    }

    private static ShuttingDownException shuttingDown(String why) {
        return new ShuttingDownException("The router is shutting down and " + why + "; retry in "
                + Draining.RETRY_AFTER.toSeconds() + " s.", Draining.RETRY_AFTER);
    }

    /** The request hash of {@code request} for {@code namespace} (the client, when the cache is per client). */
    public String requestHash(ImageRequest request, Optional<String> namespace) {
        return hasher.hash(request, runtime.config().cache().perClient() ? namespace : Optional.empty());
    }

    /**
     * Refuses, before anything is queued or paid, a request no provider of the chain can serve.
     *
     * @throws RequestUnsupportedException (400) naming the parameter
     */
    public void checkServable(ImageRequest request) {
        if (!"png".equals(request.outputFormat()) && !"jpeg".equals(request.outputFormat())
                && !normaliser.outputFormats().contains(request.outputFormat())) {
            throw new RequestUnsupportedException(new dev.imagerouter.vocabulary.Unsupported("output_format",
                    "output_format " + request.outputFormat() + " cannot be encoded on this host (supported: "
                            + String.join(", ", normaliser.outputFormats()) + ")"));
        }
        Router.unsupportedByAll(runtime.chain(), request).ifPresent(u -> {
            throw new RequestUnsupportedException(u);
        });
    }

    private CompletableFuture<Generation> generateOnce(ImageRequest request, Optional<String> namespace, boolean noCache,
                                                       String requestId, RouteOptions options) {
        String hash = requestHash(request, namespace);
        Chain chain = runtime.chain();
        // the producer may run on another thread (a single flight's leader): it takes this request's log context along
        java.util.Map<String, String> log = LogContext.with(LogContext.capture(), LogContext.REQUEST_HASH, hash);
        java.util.function.Supplier<CompletableFuture<CachedGeneration>> produce = () -> {
            try (LogContext.Scope ignored = LogContext.open(log)) {
                return produce(hash, request, requestId, options.trace(),
                        processor -> router.route(chain, request, requestId, processor, options));
            }
        };
        java.util.concurrent.atomic.AtomicBoolean produced = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.function.Supplier<CompletableFuture<CachedGeneration>> tracked = () -> {
            produced.set(true);
            return produce.get();
        };
        // identical no-cache requests in flight share one generation; the ones that joined are HITs
        CompletableFuture<ResultCache.Answer> answer = noCache ? cache.refresh(hash, tracked) : cache.get(hash, tracked);
        return answer.exceptionallyCompose(error -> {
                    // This request joined the generation of another one with the same request hash (an
                    // asynchronous job), and that job was cancelled, or parked while Redis was down: this
                    // request was not, so it gets a generation of its own (once), not the job's ending.
                    if (!produced.get() && !draining.active() && ProviderCall.unwrap(error) instanceof WalkCancelledException) {
                        return noCache ? cache.refresh(hash, produce) : cache.get(hash, produce);
                    }
                    return CompletableFuture.failedFuture(error);
                })
                .thenApply(a -> new Generation(a.generation(), a.source() == ResultCache.Source.HIT, hash));
    }

    private CompletableFuture<CachedGeneration> produce(String hash, ImageRequest request, String requestId, TraceParent trace,
                                                        java.util.function.Function<ResultProcessor, CompletableFuture<RoutingResult>> walk) {
        try {
            draining.requireOpen(); // shutting down: nothing new that costs money starts (a hit or a join never gets here)
            storageProbe.requireWritable(); // a store that cannot keep the images: refuse before paying
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<CachedGeneration> stored = new CompletableFuture<>();
        java.util.Map<String, String> log = LogContext.capture();
        inFlight.add(stored);
        stored.whenComplete((g, e) -> inFlight.remove(stored));
        ResultProcessor processor = new ResultProcessor() {
            @Override
            public CompletableFuture<ProviderResult> process(ImageRequest r, ProviderResult result) {
                return normalise(r, result);
            }

            @Override
            public CompletableFuture<Boolean> late(String provider, ImageRequest r, ProviderResult result) {
                return storeLate(hash, provider, result, requestId, log, trace);
            }
        };
        walk.apply(processor).whenComplete((result, error) -> {
            if (error != null) {
                // a job's walk stopped by the shutdown: whoever joined it (a synchronous request of the
                // same hash) is told so, and the job stays as the store has it
                boolean stopped = draining.active() && ProviderCall.unwrap(error) instanceof WalkCancelledException;
                stored.completeExceptionally(stopped ? shuttingDown("its generation was stopped by the shutdown") : error);
                return;
            }
            Runnable store = LogContext.wrap(LogContext.with(log, LogContext.PROVIDER, result.provider()), () -> {
                CachedGeneration generation;
                try (Activation traced = trace.activate()) {
                    generation = storeImages(hash, result);
                } catch (RuntimeException e) {
                    stored.completeExceptionally(e);
                    return;
                }
                stored.complete(generation); // the images are durable: the answer may go out now
                writeRecord(generation.record());
            });
            // Already on a storage worker (the OpenAI transport completes there): store in place
            // rather than handing the result to another thread of the same pool.
            if (StorageThreads.isCurrent()) {
                store.run();
            } else {
                try {
                    storageIo.execute(store);
                } catch (RuntimeException e) {
                    stored.completeExceptionally(e);
                }
            }
        });
        return stored;
    }

    /**
     * A late result: an accepted job that finished after its attempt had timed out (the chain fell
     * back, or failed). Its images are paid for, so they are stored; they become the cached result of
     * the request hash only when there is none yet (in memory or a fresh record on disk). When the
     * fallback already answered, the fallback's image stays the cached one: it is what the caller
     * got, and identical requests keep getting the same image. Runs on a storage-io worker.
     *
     * @return whether the images became the cached result
     */
    private CompletableFuture<Boolean> storeLate(String hash, String provider, ProviderResult result, String requestId,
                                                 java.util.Map<String, String> log, TraceParent trace) {
        return CompletableFuture.supplyAsync(() -> {
            try (LogContext.Scope ignored = LogContext.open(log, LogContext.PROVIDER, provider)) {
                return storeLateNow(hash, provider, result, requestId, trace);
            }
        }, storageIo);
    }

    private boolean storeLateNow(String hash, String provider, ProviderResult result, String requestId, TraceParent trace) {
        CachedGeneration generation;
        try (Activation traced = trace.activate()) {
            generation = storeImages(hash, new RoutingResult(provider, result, List.of()));
        }
        java.time.Instant oldest = clock.instant().minus(runtime.config().cache().ttl());
        boolean cachedOnDisk = store.findRecord(hash).filter(r -> r.created().isAfter(oldest)).isPresent();
        boolean used = !cachedOnDisk && cache.offer(hash, generation);
        if (used) {
            writeRecord(generation.record());
        }
        LOG.info("late result of request_id={} from provider={} stored ({} image(s)); {}", requestId, provider,
                generation.record().images().size(), used ? "it is now the cached result of its request hash"
                        : "an earlier result is cached, so it is kept unused");
        return used;
    }

    /**
     * Decodes every image and brings it to the requested size and format, inside the provider's
     * attempt: an image that does not decode is that provider's MALFORMED_RESPONSE and the chain
     * falls back.
     */
    private CompletableFuture<ProviderResult> normalise(ImageRequest request, ProviderResult result) {
        List<GeneratedImage> asIs = new ArrayList<>();
        for (GeneratedImage image : result.images()) {
            var same = normaliser.asIs(image.bytes(), request.width(), request.height(), request.outputFormat(),
                    request.background());
            if (same.isEmpty()) {
                asIs = null;
                break;
            }
            asIs.add(new GeneratedImage(same.get().bytes(), same.get().contentType(), false));
        }
        if (asIs != null) {
            // Every image is already what was asked for: a structural check, no decode, no hand-off.
            return CompletableFuture.completedFuture(result.withImages(asIs));
        }
        return CompletableFuture.supplyAsync(() -> {
            List<GeneratedImage> images = new ArrayList<>();
            for (GeneratedImage image : result.images()) {
                ImageNormaliser.NormalisedImage out = normaliser.normalise(image.bytes(), request.width(), request.height(),
                        request.outputFormat(), request.outputCompression(), request.background());
                images.add(new GeneratedImage(out.bytes(), out.contentType(), out.normalised()));
            }
            return result.withImages(images);
        }, imageWork);
    }

    /** Stores (and forces) every image of the result; the record is written by {@link #writeRecord}. */
    private CachedGeneration storeImages(String hash, RoutingResult result) {
        List<ImageStore.StoredImage> images = new ArrayList<>();
        boolean normalised = false;
        for (GeneratedImage image : result.result().images()) {
            normalised |= image.normalised();
            images.add(store.put(image.bytes(), extension(image.contentType())));
        }
        ImageStore.GenerationRecord record = new ImageStore.GenerationRecord(hash, images, result.provider(),
                result.result().model(), clock.instant(), normalised, result.result().cost(), result.result().usage());
        return new CachedGeneration(record, result.attempts());
    }

    /** The store's extension for a normalised image's MIME type. */
    static String extension(String contentType) {
        return switch (contentType) {
            case "image/jpeg" -> "jpeg";
            case "image/webp" -> "webp";
            default -> "png";
        };
    }

    /**
     * Writes the per-hash record after the answer has been handed over (same thread, right after):
     * it is cache metadata for the next run, not needed for this answer, and its file write and
     * rename cost ~0.15 ms that the caller no longer waits for. If it fails, the answer already went
     * out with the stored images and the in-memory cache still serves it; only a restart forgets it.
     */
    private void writeRecord(ImageStore.GenerationRecord record) {
        try {
            store.putRecord(record);
        } catch (RuntimeException e) {
            LOG.warn("generation record for request hash {} not written (a restart will not find it in the cache): {}",
                    record.requestHash(), e.toString());
        }
    }
}
