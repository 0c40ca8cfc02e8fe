package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;

import dev.imagerouter.vocabulary.LogContext;
import dev.imagerouter.vocabulary.LogText;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.vocabulary.Unsupported;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyAction;
import dev.imagerouter.policy.PolicyRule;
import dev.imagerouter.tracing.Tracing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/*
 * The chain walk
 * --------------
 * for each provider of the chain snapshot, in order:
 *   skip it (trail: SKIPPED + reason) if it cannot serve the request as asked (UNSUPPORTED: ...),
 *   a Retry-After cooldown runs or a ProviderGate says so;
 *   otherwise run its turn (ProviderCall: Retry(CircuitBreaker(RateLimiter(TimeLimiter(Bulkhead(call))))));
 *   success → done; failure → the policy row of its failure kind says FAIL (stop) or fall back to the next.
 * The chain ends in ChainFailedException, whose Ending decides the client's status.
 * Listeners hear every attempt, fallback and success; the router never calls metrics or alerts inline.
 * Log context: the walk captures the caller's MDC (request_id, client, request_hash) when it starts and
 * reopens it, with provider and failure_kind, around the callbacks that run on other threads (the
 * providers' HTTP clients, the scheduler); see vocabulary.LogContext.
 * Tracing: ProviderCall makes each called attempt's span; a skipped provider's span is made where
 * its skip is heard (onAttempt, notifyAttempt), under the walk's RouteOptions.trace().
 */
/** Walks a chain of providers for one request. Stateless apart from its collaborators; thread-safe. */
public final class Router {

    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    /** Trail reason prefix of a provider that cannot serve the request as asked (see {@link ImageProvider#unsupported}). */
    public static final String UNSUPPORTED = "UNSUPPORTED";
    /** Trail reason of a provider skipped because all its concurrent jobs (its bulkhead, or the account's shared slots) are held. */
    public static final String BULKHEAD_FULL = "BULKHEAD_FULL";

    private final ProviderCall providerCall;
    private final List<RoutingListener> listeners;
    private final List<ProviderGate> gates;
    private final Tracing tracing;

    public Router(ScheduledExecutorService scheduler, List<RoutingListener> listeners, List<ProviderGate> gates) {
        this(scheduler, listeners, gates, SpendReservations.NONE);
    }

    /** A router that reserves each call's expected cost against the providers' daily budgets. */
    public Router(ScheduledExecutorService scheduler, List<RoutingListener> listeners, List<ProviderGate> gates,
                  SpendReservations reservations) {
        this(scheduler, listeners, gates, reservations, new PermitQueues(scheduler));
    }

    /** A router whose queued walks (asynchronous jobs) wait in {@code queues}. */
    public Router(ScheduledExecutorService scheduler, List<RoutingListener> listeners, List<ProviderGate> gates,
                  SpendReservations reservations, PermitQueues queues) {
        this(scheduler, listeners, gates, reservations, queues, Tracing.NONE);
    }

    /** A router that makes a span of each provider attempt through {@code tracing}. */
    public Router(ScheduledExecutorService scheduler, List<RoutingListener> listeners, List<ProviderGate> gates,
                  SpendReservations reservations, PermitQueues queues, Tracing tracing) {
        this.listeners = List.copyOf(listeners);
        this.gates = List.copyOf(gates);
        this.tracing = tracing;
        this.providerCall = new ProviderCall(scheduler, reservations, queues, (handle, nanos, outcome) -> {
            for (RoutingListener l : this.listeners) {
                safely(() -> l.onQueueWait(handle, nanos, outcome));
            }
        }, tracing);
    }

    /**
     * Routes one request down {@code chain}.
     *
     * @return a future of the result, or failed with {@link ChainFailedException}
     */
    public CompletableFuture<RoutingResult> route(Chain chain, ImageRequest request, String requestId) {
        return route(chain, request, requestId, ResultProcessor.NONE);
    }

    /**
     * Routes one request down {@code chain}; each provider's result goes through {@code processor}
     * inside that provider's attempt.
     *
     * @return a future of the result, or failed with {@link ChainFailedException}
     */
    public CompletableFuture<RoutingResult> route(Chain chain, ImageRequest request, String requestId,
                                                  ResultProcessor processor) {
        return route(chain, request, requestId, processor, PartialImageListener.NONE);
    }

    /**
     * As {@link #route(Chain, ImageRequest, String, ResultProcessor)}, relaying a streaming provider's
     * partial images to {@code partials}.
     */
    public CompletableFuture<RoutingResult> route(Chain chain, ImageRequest request, String requestId,
                                                  ResultProcessor processor, PartialImageListener partials) {
        return route(chain, request, requestId, processor, RouteOptions.sync(partials));
    }

    /**
     * As {@link #route(Chain, ImageRequest, String, ResultProcessor)} with {@code options}: an
     * asynchronous job's walk queues for provider permits, is observed, may be cancelled while it
     * waits ({@link WalkCancelledException}) and skips providers whose call a restart interrupted.
     */
    public CompletableFuture<RoutingResult> route(Chain chain, ImageRequest request, String requestId,
                                                  ResultProcessor processor, RouteOptions options) {
        CompletableFuture<RoutingResult> result = new CompletableFuture<>();
        List<Attempt> trail = Collections.synchronizedList(new ArrayList<>());
        walk(new Walk(chain, request, requestId, processor, options, trail, result, LogContext.capture()), 0, null);
        return result;
    }

    /**
     * Goes on with a walk that a restart interrupted while {@code provider} held the accepted job
     * {@code jobId}: that job is tracked to its end (never created again); if it fails, the walk
     * falls back from there as it would have. A provider no longer in the chain, or one that cannot
     * resume jobs, is skipped ({@code INTERRUPTED}) and the walk starts from the chain's head.
     */
    public CompletableFuture<RoutingResult> resume(Chain chain, ImageRequest request, String requestId,
                                                   ResultProcessor processor, RouteOptions options, String provider,
                                                   String jobId) {
        CompletableFuture<RoutingResult> result = new CompletableFuture<>();
        List<Attempt> trail = Collections.synchronizedList(new ArrayList<>());
        Walk w = new Walk(chain, request, requestId, processor, options, trail, result, LogContext.capture());
        int index = -1;
        for (int i = 0; i < chain.providers().size(); i++) {
            if (chain.providers().get(i).name().equals(provider)) {
                index = i;
            }
        }
        if (index < 0) {
            LOG.warn("request_id={}: accepted job {} of provider {} cannot be resumed: the provider is no longer in the"
                    + " chain; the job is not created again", requestId, LogText.escape(jobId), LogText.escape(provider));
            walk(w, 0, null);
            return result;
        }
        ProviderHandle handle = chain.providers().get(index);
        int from = index;
        turn(w, from, handle, providerCall.resume(handle, request, jobId, processor, options,
                onAttempt(w, handle), onPaid(request, handle)));
        return result;
    }

    /**
     * What no provider of {@code chain} can serve, when that is the case: the first provider's reason
     * (the request then gets a 400 naming its parameter, not a failed chain).
     */
    public static Optional<Unsupported> unsupportedByAll(Chain chain, ImageRequest request) {
        Unsupported first = null;
        for (ProviderHandle handle : chain.providers()) {
            Optional<Unsupported> reason = handle.provider().unsupported(request);
            if (reason.isEmpty()) {
                return Optional.empty();
            }
            if (first == null) {
                first = reason.get();
            }
        }
        return Optional.ofNullable(first);
    }

    /** One request's walk: what stays the same from provider to provider, and the log context it started with. */
    private record Walk(Chain chain, ImageRequest request, String requestId, ResultProcessor processor,
                        RouteOptions options, List<Attempt> trail, CompletableFuture<RoutingResult> result,
                        java.util.Map<String, String> log) {
    }

    private void walk(Walk w, int index, ProviderFailure lastFailure) {
        Chain chain = w.chain();
        ImageRequest request = w.request();
        String requestId = w.requestId();
        List<Attempt> trail = w.trail();
        CompletableFuture<RoutingResult> result = w.result();
        if (index >= chain.providers().size()) {
            result.completeExceptionally(exhausted(trail, lastFailure, chain));
            return;
        }
        if (w.options().cancelled().isDone()) {
            result.completeExceptionally(new WalkCancelledException("the job was cancelled"));
            return;
        }
        ProviderHandle handle = chain.providers().get(index);
        Optional<String> skipReason = handle.provider().unsupported(request).map(u -> UNSUPPORTED + ": " + u.reason())
                .or(() -> w.options().skip().contains(handle.name())
                        ? Optional.of(RouteOptions.INTERRUPTED + ": a call to this provider was under way when the"
                        + " router stopped; it may have been billed, so it is not repeated") : Optional.empty())
                .or(() -> handle.coolingDown() ? Optional.of("COOLDOWN") : gateReason(handle));
        if (skipReason.isPresent()) {
            Attempt skipped = new Attempt(handle.name(), Attempt.SKIPPED, FailureKind.SKIPPED, null, 0, skipReason.get());
            trail.add(skipped);
            notifyAttempt(w, handle, skipped, null);
            fallback(w, index, FailureKind.SKIPPED);
            walk(w, index + 1, lastFailure);
            return;
        }
        turn(w, index, handle, providerCall.call(handle, request, w.processor(), w.options(), onAttempt(w, handle),
                onPaid(request, handle)));
    }

    private java.util.function.BiConsumer<Attempt, ProviderFailure> onAttempt(Walk w, ProviderHandle handle) {
        return (attempt, failure) -> {
            try (LogContext.Scope ignored = LogContext.open(w.log(), LogContext.PROVIDER, handle.name(),
                    LogContext.FAILURE_KIND, failure == null ? null : failure.kind().name())) {
                w.trail().add(attempt);
                notifyAttempt(w, handle, attempt, failure);
                if (failure != null) {
                    logFailure(handle, w.request(), w.requestId(), failure);
                }
            }
        };
    }

    private ProviderCall.PaidListener onPaid(ImageRequest request, ProviderHandle handle) {
        return (cost, used) -> {
            for (RoutingListener l : listeners) {
                safely(() -> l.onPaid(handle, request, cost, used));
            }
        };
    }

    /** The end of one provider's turn: success ends the walk; a failure falls back or ends it by policy. */
    private void turn(Walk w, int index, ProviderHandle handle, CompletableFuture<ProviderResult> call) {
        call.whenComplete((providerResult, error) -> {
            try (LogContext.Scope ignored = LogContext.open(w.log())) {
                endTurn(w, index, handle, providerResult, error);
            }
        });
    }

    private void endTurn(Walk w, int index, ProviderHandle handle, ProviderResult providerResult, Throwable error) {
        List<Attempt> trail = w.trail();
        CompletableFuture<RoutingResult> result = w.result();
        if (error == null) {
            for (RoutingListener l : listeners) {
                safely(() -> l.onSuccess(handle, w.request(), providerResult));
            }
            result.complete(new RoutingResult(handle.name(), providerResult, List.copyOf(trail)));
            return;
        }
        if (ProviderCall.unwrap(error) instanceof WalkCancelledException cancelled) {
            result.completeExceptionally(cancelled);
            return;
        }
        ProviderFailure failure = ProviderCall.toFailure(error);
        if (handle.policy().action(failure.kind()) == PolicyAction.FAIL) {
            fallbackTo(w, handle.name(), "none", failure.kind());
            result.completeExceptionally(new ChainFailedException(ChainFailedException.Ending.FAILED_BY_POLICY,
                    List.copyOf(trail), failure, null));
            return;
        }
        fallback(w, index, failure.kind());
        walk(w, index + 1, failure);
    }

    private Optional<String> gateReason(ProviderHandle handle) {
        for (ProviderGate gate : gates) {
            Optional<String> reason = gate.skipReason(handle);
            if (reason.isPresent()) {
                return reason;
            }
        }
        return Optional.empty();
    }

    private ChainFailedException exhausted(List<Attempt> trail, ProviderFailure lastFailure, Chain chain) {
        List<Attempt> attempts = List.copyOf(trail);
        List<Attempt> called = attempts.stream().filter(a -> a.outcome() == Attempt.FAILURE).toList();
        if (called.isEmpty()) {
            return new ChainFailedException(ChainFailedException.Ending.ALL_SKIPPED, attempts, lastFailure, null);
        }
        boolean allRateLimited = called.stream().allMatch(a -> a.failureKind() == FailureKind.RATE_LIMITED);
        if (allRateLimited) {
            Duration retryAfter = chain.providers().stream()
                    .map(p -> p.policy().rule(FailureKind.RATE_LIMITED).map(PolicyRule::retryAfterCap).orElse(Duration.ofSeconds(1)))
                    .min(Duration::compareTo).orElse(Duration.ofSeconds(1));
            Duration hinted = lastFailure != null && lastFailure.retryAfter().isPresent()
                    ? lastFailure.retryAfter().get() : Duration.ofSeconds(1);
            return new ChainFailedException(ChainFailedException.Ending.ALL_RATE_LIMITED, attempts, lastFailure,
                    hinted.compareTo(retryAfter) < 0 ? hinted : retryAfter);
        }
        return new ChainFailedException(ChainFailedException.Ending.EXHAUSTED, attempts, lastFailure, null);
    }

    private void fallback(Walk w, int index, FailureKind kind) {
        Chain chain = w.chain();
        String from = chain.providers().get(index).name();
        String to = index + 1 < chain.providers().size() ? chain.providers().get(index + 1).name() : "none";
        fallbackTo(w, from, to, kind);
    }

    private void fallbackTo(Walk w, String from, String to, FailureKind kind) {
        for (RoutingListener l : listeners) {
            safely(() -> l.onFallback(from, to, kind));
        }
        safely(() -> w.options().observer().onFallback(from, to, kind));
    }

    private void notifyAttempt(Walk w, ProviderHandle handle, Attempt attempt, ProviderFailure failure) {
        if (attempt.outcome() == Attempt.SKIPPED) {
            safely(() -> tracing.skipped(w.options().trace(), attempt)); // a called attempt's span is ProviderCall's
        }
        PolicyRule rule = failure == null ? null : handle.policy().rule(failure.kind()).orElse(null);
        for (RoutingListener l : listeners) {
            safely(() -> l.onAttempt(handle, attempt, failure, rule));
        }
        safely(() -> w.options().observer().onAttempt(attempt));
    }

    private void logFailure(ProviderHandle handle, ImageRequest request, String requestId, ProviderFailure failure) {
        Optional<PolicyRule> rule = handle.policy().rule(failure.kind());
        if (rule.isPresent() && rule.get().logPrompt()) {
            LOG.warn("provider={} failure_kind={} request_id={} detail=\"{}\" prompt_sha256={} prompt=\"{}\"",
                    handle.name(), failure.kind(), requestId, LogText.escape(failure.getMessage()),
                    PromptHash.of(request.prompt()), LogText.escape(request.prompt()));
        } else {
            LOG.info("provider={} failure_kind={} request_id={} detail=\"{}\"", handle.name(), failure.kind(), requestId,
                    LogText.escape(failure.getMessage()));
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("routing listener failed: {}", LogText.escape(e));
        }
    }
}
