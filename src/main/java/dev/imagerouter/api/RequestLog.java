package dev.imagerouter.api;

import dev.imagerouter.vocabulary.LogContext;
import dev.imagerouter.vocabulary.LogText;
import io.micronaut.context.propagation.slf4j.MdcPropagationContext;
import io.micronaut.core.order.Ordered;
import io.micronaut.core.propagation.MutablePropagatedContext;
import io.micronaut.core.propagation.PropagatedContextElement;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.filter.ServerFilterPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * The request line and the request's log context
 * ----------------------------------------------
 * Every request to /v1/images/generations, /v1/images/jobs/** and /v1/images/batches/** (paths
 * canonicalised as for authentication) ends with exactly one INFO line of this logger:
 *
 *   request method=POST path="/v1/images/generations" request_id=req_… client=blog provider=openai-gpt-image-2
 *           cache=miss outcome=success status=200 duration_ms=5210
 *
 *   provider  the instance that made the images, "none" when none did (errors, jobs endpoints)
 *   cache     hit | miss | bypass (Cache-Control: no-cache that generated) as in image_router_requests_total;
 *             "none" where no cache lookup decided the answer (refusals, bad requests, jobs endpoints)
 *   outcome   the label of image_router_requests_total (success, invalid_request, unauthorized,
 *             content_rejected, rate_limited, unavailable, failed) where the request is counted; for the other
 *             answers it follows the status: accepted (202), success, not_found, invalid_request,
 *             unauthorized, rate_limited, unavailable, failed
 *   status    the HTTP status; duration_ms from this filter's start to the answer (a streamed generation:
 *             to its last event; a job's /events stream: to the start of the stream)
 * The fields are also in the line's MDC (JSON: top-level "mdc" object). The path and the client are
 * escaped (LogText); nothing of the body, no header and no key is logged.
 *
 * This filter runs first (FIRST phase, before authentication), so that refusals are logged too. It
 * gives the request its id (X-Request-Id; kept by everything after it) and puts request_id into the
 * request's propagated context as an MdcPropagationContext: Micronaut then runs the filters, the
 * controller and the exception handlers with it in the MDC. ClientContext, right after
 * authentication, adds client. From the controller on, the generation core carries the MDC across
 * its own threads itself (vocabulary.LogContext).
 */
/** Writes the request line of the generation and jobs endpoints and opens their log context; see the block comment. */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public class RequestLog implements Ordered {

    private static final Logger LOG = LoggerFactory.getLogger(RequestLog.class);

    /** Request attribute: the request's {@link Line}. */
    static final String LINE = "image-router.request-line";

    private static final String NONE = "none";

    /**
     * What the request line will say, filled in where it becomes known. Set as an attribute on the
     * event loop before the controller runs; the controller's completion stages and the exception
     * handlers, on whatever thread, only write its volatile fields (never the request's attributes,
     * a plain map).
     */
    static final class Line {
        final long startNanos = System.nanoTime();
        final AtomicBoolean written = new AtomicBoolean();
        volatile String outcome;
        volatile String cache;
        volatile String provider;
        volatile String requestHash;
        volatile CompletableFuture<?> pending;
    }

    @Override
    public int getOrder() {
        return ServerFilterPhase.FIRST.order();
    }

    /** Whether {@code path} is one of the endpoints with a request line. */
    static boolean logged(String path) {
        String p = EndpointAccess.canonical(path);
        return p.equals("/v1/images/generations") || p.equals("/v1/images/batches") || p.startsWith("/v1/images/batches/")
                || p.startsWith("/v1/images/jobs/");
    }

    @RequestFilter
    public void start(HttpRequest<?> request, MutablePropagatedContext context) {
        if (!logged(request.getPath())) {
            return;
        }
        request.setAttribute(LINE, new Line());
        String id = request.getAttribute(GenerationController.REQUEST_ID, String.class)
                .orElseGet(GenerationController::newRequestId);
        request.setAttribute(GenerationController.REQUEST_ID, id);
        putMdc(context, LogContext.REQUEST_ID, id);
    }

    @ResponseFilter
    public void end(HttpRequest<?> request, MutableHttpResponse<?> response) {
        Optional<Line> line = line(request);
        if (line.isEmpty()) {
            return;
        }
        int status = response.code();
        CompletableFuture<?> pending = line.get().pending;
        if (pending != null && !pending.isDone()) {
            pending.whenComplete((result, error) -> write(request, line.get(), status, error));
        } else {
            write(request, line.get(), status, null);
        }
    }

    private static Optional<Line> line(HttpRequest<?> request) {
        return request.getAttribute(LINE, Line.class);
    }

    /** Where a generation succeeded: what the request line says about it. */
    static void succeeded(HttpRequest<?> request, String cache, String provider, String requestHash) {
        line(request).ifPresent(l -> {
            l.cache = cache;
            l.provider = provider;
            l.requestHash = requestHash;
            l.outcome = "success";
        });
    }

    /** Where a request failed or was refused: its outcome label. */
    static void failed(HttpRequest<?> request, String outcome) {
        line(request).ifPresent(l -> l.outcome = outcome);
    }

    /** A request that failed after the cache had no answer for it. */
    static void cacheMissed(HttpRequest<?> request) {
        line(request).ifPresent(l -> l.cache = "miss");
    }

    /** A streamed answer: the line is written when {@code answer} completes, not when the status goes out. */
    static void pending(HttpRequest<?> request, CompletableFuture<?> answer) {
        line(request).ifPresent(l -> l.pending = answer);
    }

    private static void write(HttpRequest<?> request, Line line, int status, Throwable streamError) {
        if (!line.written.compareAndSet(false, true)) {
            return;
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - line.startNanos);
        String outcome = line.outcome != null ? line.outcome
                : streamError != null ? ApiErrorHandlers.outcome(streamError) : outcomeOf(status);
        String requestId = request.getAttribute(GenerationController.REQUEST_ID, String.class).orElse(NONE);
        String client = LogText.escape(client(request, outcome));
        String provider = LogText.escape(line.provider == null ? NONE : line.provider);
        String cache = line.cache == null ? NONE : line.cache;
        String path = LogText.escape(request.getPath());
        String method = request.getMethodName();
        try (LogContext.Scope ignored = LogContext.open(Map.of(), LogContext.REQUEST_ID, requestId, LogContext.CLIENT, client,
                LogContext.PROVIDER, provider, LogContext.REQUEST_HASH, line.requestHash,
                "cache", cache, "outcome", outcome, "status", Integer.toString(status), "duration_ms", Long.toString(millis),
                "method", method, "path", path)) {
            LOG.info("request method={} path=\"{}\" request_id={} client={} provider={} cache={} outcome={} status={} duration_ms={}",
                    method, path, requestId, client, provider, cache, outcome, status, millis);
        }
    }

    /** The client's name; {@code anonymous} in open sandbox mode, {@code none} when authentication refused it. */
    static String client(HttpRequest<?> request, String outcome) {
        return request.getAttribute(ApiErrorHandlers.CLIENT_NAME, String.class)
                .orElse("unauthorized".equals(outcome) ? NONE : ClientLimits.ANONYMOUS);
    }

    /** The outcome of an answer nothing labelled, from its status. */
    static String outcomeOf(int status) {
        if (status == 202) {
            return "accepted";
        }
        if (status < 400) {
            return "success";
        }
        return switch (status) {
            case 401, 403 -> "unauthorized";
            case 404 -> "not_found";
            case 429 -> "rate_limited";
            case 503 -> "unavailable";
            default -> status < 500 ? "invalid_request" : "failed";
        };
    }

    /**
     * Adds {@code key=value} to the MDC that Micronaut propagates with the request: the MDC elements
     * already there (ours, or another filter's) are merged into one, since each element replaces the
     * thread's whole MDC when it is applied.
     */
    static void putMdc(MutablePropagatedContext context, String key, String value) {
        Map<String, String> state = new HashMap<>();
        List<PropagatedContextElement> elements = List.copyOf(context.getContext().getAllElements());
        for (PropagatedContextElement element : elements) {
            if (element instanceof MdcPropagationContext mdc) {
                if (mdc.state() != null) {
                    state.putAll(mdc.state());
                }
                context.remove(mdc);
            }
        }
        state.put(key, value);
        context.add(new MdcPropagationContext(state));
    }

    /** Adds the authenticated client to the request's propagated MDC, right after authentication. */
    @ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
    public static class ClientContext implements Ordered {

        @Override
        public int getOrder() {
            return ServerFilterPhase.SECURITY.after();
        }

        @RequestFilter
        public void client(HttpRequest<?> request, MutablePropagatedContext context) {
            if (request.getAttribute(LINE).isPresent()) {
                putMdc(context, LogContext.CLIENT, LogText.escape(RequestLog.client(request, "success")));
            }
        }
    }
}
