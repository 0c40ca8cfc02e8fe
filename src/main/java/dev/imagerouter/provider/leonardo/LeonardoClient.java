package dev.imagerouter.provider.leonardo;

import dev.imagerouter.provider.ProviderContext;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import reactor.core.publisher.Mono;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Non-blocking HTTP access to Leonardo's REST API v1 (shared/specs/leonardo/WIRE.md) and the v2 calls
 * beside it ({@code POST /api/rest/v2/generations}, {@code GET /api/rest/v2/models}; UPDATES-2026.md §1),
 * whose base path is the v1 base path with its last {@code /v1} replaced by {@code /v2}: every call
 * returns the raw 2xx body or completes exceptionally with the HTTP client's exception, which
 * {@link LeonardoFailureClassifier} classifies. Sends {@code authorization: Bearer <key>},
 * {@code accept} and {@code content-type: application/json}. Never logs the key. Thread-safe;
 * {@link #close()} releases the connection pool.
 */
public final class LeonardoClient implements AutoCloseable {

    private final HttpClient http;
    private final String basePath;
    private final String v2BasePath;
    private final String authorization;

    /**
     * @param baseUrl        e.g. {@code https://cloud.leonardo.ai/api/rest/v1}
     * @param apiKey         the API key (a UUID)
     * @param requestTimeout read timeout of one HTTP call
     */
    public LeonardoClient(String baseUrl, String apiKey, Duration requestTimeout) {
        URI uri = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
        this.basePath = uri.getRawPath() == null ? "" : uri.getRawPath();
        this.v2BasePath = v2BasePath(basePath);
        this.authorization = "Bearer " + apiKey;
        DefaultHttpClientConfiguration config = new DefaultHttpClientConfiguration();
        config.setReadTimeout(requestTimeout);
        config.setConnectTimeout(Duration.ofSeconds(5));
        config.setFollowRedirects(false);
        config.setMaxContentLength(4 * 1024 * 1024);
        try {
            URL root = new URL(uri.getScheme() + "://" + uri.getRawAuthority());
            this.http = HttpClient.create(root, config);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("base-url is not a valid URL: " + baseUrl, e);
        }
    }

    /** {@code POST /generations} with a JSON body; completes with the response body. */
    public CompletableFuture<String> createGeneration(String jsonBody, Map<String, String> extraHeaders) {
        MutableHttpRequest<String> request = HttpRequest.POST(basePath + "/generations", jsonBody)
                .contentType(MediaType.APPLICATION_JSON_TYPE);
        return send(request, extraHeaders);
    }

    /**
     * v2 {@code POST /generations} with a JSON body {@code {model, public, parameters}}; completes with the response body.
     *
     * @throws IllegalStateException when the base URL does not end in {@code /v1} (configuration checks that first)
     */
    public CompletableFuture<String> createGenerationV2(String jsonBody, Map<String, String> extraHeaders) {
        MutableHttpRequest<String> request = HttpRequest.POST(v2Path() + "/generations", jsonBody)
                .contentType(MediaType.APPLICATION_JSON_TYPE);
        return send(request, extraHeaders);
    }

    /** v2 {@code GET /models}: the account's models list; completes with the response body. */
    public CompletableFuture<String> modelsV2(Map<String, String> extraHeaders) {
        return send(HttpRequest.GET(v2Path() + "/models"), extraHeaders);
    }

    /** The v2 base path beside a v1 one ({@code /api/rest/v1} → {@code /api/rest/v2}), or null when it does not end in {@code /v1}. */
    public static String v2BasePath(String v1BasePath) {
        return v1BasePath != null && v1BasePath.endsWith("/v1") ? v1BasePath.substring(0, v1BasePath.length() - 3) + "/v2" : null;
    }

    private String v2Path() {
        if (v2BasePath == null) {
            throw new IllegalStateException("base-url " + basePath + " does not end in /v1: no v2 API beside it");
        }
        return v2BasePath;
    }

    /** {@code GET /generations/{id}}; completes with the response body. */
    public CompletableFuture<String> getGeneration(String generationId, Map<String, String> extraHeaders) {
        return send(HttpRequest.GET(basePath + "/generations/" + generationId), extraHeaders);
    }

    /** {@code GET /me}; completes with the response body. */
    public CompletableFuture<String> me(Map<String, String> extraHeaders) {
        return send(HttpRequest.GET(basePath + "/me"), extraHeaders);
    }

    private <B> CompletableFuture<String> send(MutableHttpRequest<B> request, Map<String, String> extraHeaders) {
        request.header("authorization", authorization).accept(MediaType.APPLICATION_JSON_TYPE);
        extraHeaders.forEach(request::header);
        return Mono.from(http.exchange(request, Argument.STRING, Argument.STRING))
                .map(response -> ((HttpResponse<String>) response).getBody().orElse(""))
                .toFuture();
    }

    /** Header names to add to sandbox calls. */
    public static Map<String, String> sandboxHeaders(ProviderContext context, String providerName, java.util.Optional<String> faults) {
        if (!context.sandbox()) {
            return Map.of();
        }
        return faults.map(f -> Map.of(ProviderContext.SANDBOX_PROVIDER_HEADER, providerName, ProviderContext.SANDBOX_FAULT_HEADER, f))
                .orElse(Map.of(ProviderContext.SANDBOX_PROVIDER_HEADER, providerName));
    }

    @Override
    public void close() {
        http.close();
    }
}
