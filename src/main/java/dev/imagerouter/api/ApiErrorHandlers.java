package dev.imagerouter.api;

import dev.imagerouter.metrics.RouterMetrics;
import dev.imagerouter.routing.ChainFailedException;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.storage.StorageUnavailableException;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/**
 * Maps {@link ApiException} and {@link ChainFailedException} to the OpenAI error shape. How a
 * failed chain reads to the client:
 * <ul>
 *   <li>a FAIL row for CONTENT_REJECTED → 400 {@code content_policy_violation}</li>
 *   <li>another FAIL row → 502 with the provider's failure kind as {@code code}</li>
 *   <li>every called provider RATE_LIMITED → 429 {@code rate_limit_exceeded} with {@code Retry-After}</li>
 *   <li>every provider skipped (circuits open, credits, budget, bulkhead full) → 503 {@code no_provider_available},
 *       the message naming each provider's skip reason; {@code Retry-After} 1 s when every provider was
 *       only busy ({@code BULKHEAD_FULL}), else 30 s</li>
 *   <li>otherwise → 502 {@code all_providers_failed}</li>
 * </ul>
 * A request no provider of the chain can serve as asked (e.g. a transparent background) is 400
 * {@code invalid_value} naming the parameter, before any call.
 * Every error answer carries {@code X-Request-Id}; failed chains carry the attempts trail.
 */
public final class ApiErrorHandlers {

    /** Request attribute: the request id. */
    public static final String START_NANOS = "image-router.start-nanos";
    /** Request attribute: the authenticated client's name. */
    public static final String CLIENT_NAME = "image-router.client-name";

    private ApiErrorHandlers() {
    }

    static MutableHttpResponse<ErrorBody> respond(HttpRequest<?> request, ApiException e, RouterMetrics metrics, String outcome) {
        MutableHttpResponse<ErrorBody> response = HttpResponse.<ErrorBody>status(e.status())
                .body(new ErrorBody(new ErrorBody.Detail(e.getMessage(), e.type(), e.param(), e.code()), e.router()));
        e.headers().forEach(response::header);
        request.getAttribute(GenerationController.REQUEST_ID, String.class)
                .ifPresent(id -> response.header(GenerationController.REQUEST_ID, id));
        request.getAttribute(START_NANOS, Long.class).ifPresent(start ->
                metrics.onRequest(outcome, "miss", System.nanoTime() - start));
        RequestLog.failed(request, outcome);
        return response;
    }

    /** Bad input and other client-facing errors raised by the API layer. */
    @Singleton
    @Produces
    @Requires(classes = {ApiException.class, ExceptionHandler.class})
    public static class ApiExceptionHandler implements ExceptionHandler<ApiException, HttpResponse<?>> {
        private final RouterMetrics metrics;

        public ApiExceptionHandler(RouterMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public HttpResponse<?> handle(HttpRequest request, ApiException exception) {
            String outcome = switch (exception.status().getCode()) {
                case 401, 403 -> "unauthorized";
                case 429 -> "rate_limited";
                default -> "invalid_request";
            };
            return respond(request, exception, metrics, outcome);
        }
    }

    /** A chain that produced no image. */
    @Singleton
    @Produces
    @Requires(classes = {ChainFailedException.class, ExceptionHandler.class})
    public static class ChainFailedHandler implements ExceptionHandler<ChainFailedException, HttpResponse<?>> {
        private final RouterMetrics metrics;

        public ChainFailedHandler(RouterMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public HttpResponse<?> handle(HttpRequest request, ChainFailedException e) {
            Mapped mapped = map(e);
            RequestLog.cacheMissed(request);
            return respond(request, mapped.error(), metrics, mapped.outcome());
        }
    }

    /** An error as the client reads it, and the request outcome it counts as. */
    record Mapped(ApiException error, String outcome) {
    }

    /** How a failed chain reads to the client (see the class comment). */
    static Mapped map(ChainFailedException e) {
        GenerationResponse.FailureInfo trail = new GenerationResponse.FailureInfo(GenerationResponse.AttemptInfo.of(e.attempts()));
        ApiException api;
        String outcome;
        switch (e.ending()) {
            case FAILED_BY_POLICY -> {
                FailureKind kind = e.lastKind().orElse(FailureKind.SERVER_ERROR);
                if (kind == FailureKind.CONTENT_REJECTED) {
                    api = new ApiException(HttpStatus.BAD_REQUEST, "The provider's safety system rejected this request.",
                            "invalid_request_error", "prompt", "content_policy_violation", java.util.Map.of(), trail);
                    outcome = "content_rejected";
                } else {
                    api = new ApiException(HttpStatus.BAD_GATEWAY, "The provider failed (" + kind + ") and the policy "
                            + "for it is not to fall back.", "server_error", null, kind.name().toLowerCase(), java.util.Map.of(), trail);
                    outcome = "failed";
                }
            }
            case ALL_RATE_LIMITED -> {
                long seconds = Math.max(1, (e.retryAfter().map(java.time.Duration::toMillis).orElse(1000L) + 999) / 1000);
                api = new ApiException(HttpStatus.TOO_MANY_REQUESTS, "Every provider is rate limiting; retry after "
                        + seconds + " s.", "requests", null, "rate_limit_exceeded",
                        java.util.Map.of("Retry-After", Long.toString(seconds)), trail);
                outcome = "rate_limited";
            }
            case ALL_SKIPPED -> {
                // why each provider was skipped, e.g. "openai-gpt-image-2: BULKHEAD_FULL"; every one busy
                // (its concurrent jobs all held) frees within seconds, anything else (an open circuit, no
                // credits, a spent budget) not before a probe or the next day
                String reasons = e.attempts().stream()
                        .map(a -> a.provider() + ": " + (a.reason() == null ? "SKIPPED" : a.reason()))
                        .collect(java.util.stream.Collectors.joining(", "));
                boolean allBusy = !e.attempts().isEmpty() && e.attempts().stream()
                        .allMatch(a -> dev.imagerouter.routing.Router.BULKHEAD_FULL.equals(a.reason()));
                api = new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "No provider is available now (" + reasons + ").",
                        "server_error", null, "no_provider_available",
                        java.util.Map.of("Retry-After", allBusy ? "1" : "30"), trail);
                outcome = "unavailable";
            }
            default -> {
                api = new ApiException(HttpStatus.BAD_GATEWAY, "Every provider in the chain failed.", "server_error", null,
                        "all_providers_failed", java.util.Map.of(), trail);
                outcome = "failed";
            }
        }
        return new Mapped(api, outcome);
    }

    /** The outcome label of a generation that failed after its streamed answer had started. */
    static String outcome(Throwable failure) {
        Throwable t = failure;
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof ChainFailedException chain ? map(chain).outcome() : "failed";
    }

    /**
     * How any failure of a generation reads to the client, for a job's {@code error}: a failed
     * chain as above, the API's own errors as they are, a request no provider can serve as 400,
     * the store's failures as 503 {@code storage_unavailable}, anything else 500 {@code server_error}.
     */
    static ApiException toApiException(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ChainFailedException chain) {
            return map(chain).error();
        }
        if (t instanceof ApiException api) {
            return api;
        }
        if (t instanceof dev.imagerouter.routing.RequestUnsupportedException u) {
            return ApiException.invalid(u.reason().param(), "invalid_value", u.getMessage());
        }
        if (t instanceof dev.imagerouter.routing.ShuttingDownException s) {
            return ShuttingDownHandler.error(s);
        }
        if (t instanceof java.io.UncheckedIOException) {
            return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "The image store is unavailable; retry later.",
                    "server_error", null, "storage_unavailable", java.util.Map.of("Retry-After", "30"), null);
        }
        return new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "The generation failed unexpectedly.", "server_error",
                null, "server_error", java.util.Map.of(), null);
    }

    /**
     * The router is draining for a shutdown and this request would have started a provider call or a
     * job: 503 {@code shutting_down} with {@code Retry-After}, outcome {@code unavailable}. Nothing was
     * paid for it; the retry goes to another instance or to this one after its restart.
     */
    @Singleton
    @Produces
    @Requires(classes = {dev.imagerouter.routing.ShuttingDownException.class, ExceptionHandler.class})
    public static class ShuttingDownHandler
            implements ExceptionHandler<dev.imagerouter.routing.ShuttingDownException, HttpResponse<?>> {
        private final RouterMetrics metrics;

        public ShuttingDownHandler(RouterMetrics metrics) {
            this.metrics = metrics;
        }

        static ApiException error(dev.imagerouter.routing.ShuttingDownException e) {
            long seconds = Math.max(1, (e.retryAfter().toMillis() + 999) / 1000);
            return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage(), "server_error", null, "shutting_down",
                    java.util.Map.of("Retry-After", Long.toString(seconds)), null);
        }

        @Override
        public HttpResponse<?> handle(HttpRequest request, dev.imagerouter.routing.ShuttingDownException e) {
            return respond(request, error(e), metrics, "unavailable");
        }
    }

    /** No provider of the chain can serve the request as asked: 400 naming the parameter, no provider called. */
    @Singleton
    @Produces
    @Requires(classes = {dev.imagerouter.routing.RequestUnsupportedException.class, ExceptionHandler.class})
    public static class UnsupportedHandler
            implements ExceptionHandler<dev.imagerouter.routing.RequestUnsupportedException, HttpResponse<?>> {
        private final RouterMetrics metrics;

        public UnsupportedHandler(RouterMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public HttpResponse<?> handle(HttpRequest request, dev.imagerouter.routing.RequestUnsupportedException e) {
            return respond(request, ApiException.invalid(e.reason().param(), "invalid_value", e.getMessage()), metrics,
                    "invalid_request");
        }
    }

    /**
     * The image store could not be written (disk full, read-only, gone): 503 {@code storage_unavailable}
     * in the OpenAI shape with {@code Retry-After: 30}, logged at ERROR. Nothing is cached, so a retry
     * generates again. A {@link StorageUnavailableException} (the writability probe fails, so no
     * provider was called; or an image vanished from the store) is the same 503 with its own
     * {@code Retry-After} and outcome {@code unavailable}, logged at DEBUG only: the probe logs the
     * outage once, not once per refused request.
     */
    @Singleton
    @Produces
    @Requires(classes = {java.io.UncheckedIOException.class, ExceptionHandler.class})
    public static class StorageFailedHandler implements ExceptionHandler<java.io.UncheckedIOException, HttpResponse<?>> {
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StorageFailedHandler.class);
        private final RouterMetrics metrics;

        public StorageFailedHandler(RouterMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public HttpResponse<?> handle(HttpRequest request, java.io.UncheckedIOException exception) {
            RequestLog.cacheMissed(request);
            if (exception instanceof StorageUnavailableException unavailable) {
                LOG.debug("storage unavailable: {}", unavailable.getMessage());
                long seconds = Math.max(1, (unavailable.retryAfter().toMillis() + 999) / 1000);
                ApiException api = new ApiException(HttpStatus.SERVICE_UNAVAILABLE, unavailable.getMessage()
                        + " Retry after " + seconds + " s.", "server_error", null, "storage_unavailable",
                        java.util.Map.of("Retry-After", Long.toString(seconds)), null);
                return respond(request, api, metrics, "unavailable");
            }
            LOG.error("image store failure: {} ({})", exception.getMessage(),
                    exception.getCause() == null ? "" : exception.getCause().toString());
            ApiException api = new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "The image store is unavailable; retry later.",
                    "server_error", null, "storage_unavailable", java.util.Map.of("Retry-After", "30"), null);
            return respond(request, api, metrics, "failed");
        }
    }
}
