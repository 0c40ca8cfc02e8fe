package dev.imagerouter.routing;

import dev.imagerouter.tracing.TraceParent;
import dev.imagerouter.vocabulary.PartialImageListener;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * How one walk runs, besides its request.
 *
 * @param partials  hears a streaming provider's partial images
 * @param observer  hears the walk's progress (asynchronous jobs)
 * @param queueWait empty: a provider whose rate limiter or concurrency is full is skipped at once
 *                  (synchronous requests); present: the walk waits in that provider's FIFO queue for
 *                  up to this long per provider turn before the skip (asynchronous jobs,
 *                  {@code router.jobs.max-wait}). Synchronous requests never queue, so they go ahead.
 * @param skip      providers skipped with trail reason {@code INTERRUPTED}: a call to them was under
 *                  way when the router stopped, may have been billed, and is never repeated
 * @param cancelled completes when the walk's job is cancelled: a walk still waiting for permits ends
 *                  with {@link WalkCancelledException}; a provider call under way is never cancelled
 * @param trace     where the walk's spans hang (its provider attempts, its image writes): the
 *                  request's trace context, captured where the walk starts
 */
public record RouteOptions(PartialImageListener partials, WalkObserver observer, Optional<Duration> queueWait,
                           Set<String> skip, CompletableFuture<Void> cancelled, TraceParent trace) {

    /** Trail reason of a provider whose call was interrupted by a restart. */
    public static final String INTERRUPTED = "INTERRUPTED";

    public RouteOptions {
        skip = Set.copyOf(skip);
    }

    /** Options whose spans hang under the trace context current on this thread (see {@link TraceParent#current()}). */
    public RouteOptions(PartialImageListener partials, WalkObserver observer, Optional<Duration> queueWait,
                        Set<String> skip, CompletableFuture<Void> cancelled) {
        this(partials, observer, queueWait, skip, cancelled, TraceParent.current());
    }

    /** A synchronous request's walk, traced under the context current on this thread (the request's). */
    public static RouteOptions sync(PartialImageListener partials) {
        return new RouteOptions(partials, WalkObserver.NONE, Optional.empty(), Set.of(), new CompletableFuture<>());
    }

    /** The default: no partials, no observer, no queueing. */
    public static final RouteOptions NONE = new RouteOptions(PartialImageListener.NONE, WalkObserver.NONE, Optional.empty(),
            Set.of(), new CompletableFuture<>(), TraceParent.NONE);
}
