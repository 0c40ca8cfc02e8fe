package dev.imagerouter.provider.openai;

import com.openai.core.RequestOptions;
import com.openai.core.Timeout;
import com.openai.core.http.Headers;
import com.openai.core.http.HttpClient;
import com.openai.core.http.HttpRequest;
import com.openai.core.http.HttpRequestBody;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.QueryParams;
import com.openai.errors.OpenAIIoException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/*
 * Why not the SDK's OkHttp transport: its async client queues calls on OkHttp's Dispatcher, which
 * the SDK caps at 64 requests in flight (maxRequestsPerHost = maxRequests = 64). The router holds
 * thousands of waiting generations; with OkHttp the 65th would wait in a queue that no timeout
 * covers. The JDK client has no such cap, multiplexes every connection on one selector thread,
 * and runs callbacks on a small fixed pool: threads do not grow with the number in flight.
 * The SDK documents this extension point ("Custom HTTP client", shared/specs/openai/WIRE.md §4.4).
 */
/**
 * The OpenAI SDK's HTTP transport on {@link java.net.http.HttpClient}, HTTP/1.1, non-blocking.
 * Errors are thrown as {@link OpenAIIoException} like the SDK's own transport does, so the
 * classifier sees the same shapes. Thread-safe; {@link #close()} stops its callback pool.
 */
public final class JdkHttpTransport implements HttpClient {

    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private final java.net.http.HttpClient http;
    private final ExecutorService callbacks;
    private final Duration defaultTimeout;

    /**
     * @param connectTimeout TCP connect timeout
     * @param defaultTimeout whole-request timeout when the SDK passes none
     */
    public JdkHttpTransport(Duration connectTimeout, Duration defaultTimeout) {
        this.defaultTimeout = defaultTimeout;
        this.callbacks = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "openai-http");
            t.setDaemon(true);
            return t;
        });
        this.http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
                .executor(callbacks)
                .build();
    }

    @Override
    public HttpResponse execute(HttpRequest request, RequestOptions options) {
        try {
            return executeAsync(request, options).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new OpenAIIoException("Request failed", e.getCause());
        }
    }

    @Override
    public CompletableFuture<HttpResponse> executeAsync(HttpRequest request, RequestOptions options) {
        java.net.http.HttpRequest jdkRequest;
        try {
            jdkRequest = toJdk(request, options);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(new OpenAIIoException("Request failed", e));
        }
        return http.sendAsync(jdkRequest, java.net.http.HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                        throw new OpenAIIoException("Request failed", cause);
                    }
                    return toSdk(response);
                });
    }

    private java.net.http.HttpRequest toJdk(HttpRequest request, RequestOptions options) throws IOException {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(uri(request));
        Duration timeout = requestTimeout(options);
        b.timeout(timeout);
        Headers headers = request.headers();
        for (String name : headers.names()) {
            if (RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            for (String value : headers.values(name)) {
                b.header(name, value);
            }
        }
        HttpRequestBody body = request.body();
        if (body == null) {
            b.method(request.method().name(), java.net.http.HttpRequest.BodyPublishers.noBody());
        } else {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, (int) Math.min(body.contentLength(), 1 << 20)));
            body.writeTo(out);
            if (body.contentType() != null && headers.values("Content-Type").isEmpty()) {
                b.header("Content-Type", body.contentType());
            }
            b.method(request.method().name(), java.net.http.HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()));
        }
        return b.build();
    }

    private Duration requestTimeout(RequestOptions options) {
        Timeout t = options == null ? null : options.getTimeout();
        if (t == null) {
            return defaultTimeout;
        }
        Duration request = t.request();
        return request == null || request.isZero() ? defaultTimeout : request;
    }

    static URI uri(HttpRequest request) {
        StringBuilder url = new StringBuilder(request.baseUrl().replaceAll("/+$", ""));
        for (String segment : request.pathSegments()) {
            url.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        QueryParams query = request.queryParams();
        StringJoiner params = new StringJoiner("&");
        for (String key : query.keys()) {
            for (String value : query.values(key)) {
                params.add(URLEncoder.encode(key, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        }
        if (params.length() > 0) {
            url.append('?').append(params);
        }
        return URI.create(url.toString());
    }

    private static HttpResponse toSdk(java.net.http.HttpResponse<byte[]> response) {
        Headers.Builder headers = Headers.builder();
        response.headers().map().forEach((name, values) -> headers.put(name, (Iterable<String>) List.copyOf(values)));
        Headers built = headers.build();
        byte[] body = response.body() == null ? new byte[0] : response.body();
        return new HttpResponse() {
            @Override
            public int statusCode() {
                return response.statusCode();
            }

            @Override
            public Headers headers() {
                return built;
            }

            @Override
            public InputStream body() {
                return new ByteArrayInputStream(body);
            }

            @Override
            public void close() {
                // the body is in memory
            }
        };
    }

    @Override
    public void close() {
        callbacks.shutdown();
    }
}
