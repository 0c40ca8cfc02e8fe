package dev.imagerouter.provider;

import dev.imagerouter.vocabulary.GeneratedImage;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.ContentLengthExceededException;
import io.micronaut.http.client.exceptions.HttpClientException;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.client.exceptions.ReadTimeoutException;
import jakarta.annotation.PreDestroy;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.net.ConnectException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches the image URLs a provider answers with (Leonardo's CDN), without blocking a thread.
 *
 * <p>Rules, checked in this order:
 * <ol>
 *   <li>the URL is absolute {@code http} or {@code https}, and {@link DownloadSettings#allows(String, String, int)}
 *       allows its scheme, host and port (a host listed by exact name: http or https, any port; a host
 *       matched by a {@code *.} entry: https on 443 only); otherwise the download fails at once, before
 *       any network call;</li>
 *   <li>redirects are not followed (a redirect could leave the allow-list);</li>
 *   <li>only a 2xx with a non-empty body of at most {@code maxBytes} is an image;</li>
 *   <li>the whole download, connect included, must finish within {@code timeout}.</li>
 * </ol>
 * Every failure completes the future with a {@link ProviderFailure}: {@code MALFORMED_RESPONSE}
 * for a refused URL, a redirect, a non-2xx status (kept in {@link ProviderFailure#httpStatus()})
 * or an oversized or empty body; {@code TIMEOUT} when the deadline passes; {@code NETWORK} for
 * refused, reset or unresolvable connections. Messages name the host, never the path or query
 * (signed URLs carry tokens).
 *
 * <p>One Micronaut {@link HttpClient} per scheme, host and port, created on first use and closed by
 * {@link #close()}. The future completes on a Netty event-loop thread (or the deadline thread):
 * decode or normalise the image with an {@code *Async} stage on a worker pool. Cancelling the
 * future, like the deadline, does not abort the exchange (Micronaut ignores cancellation of an
 * exchange in flight); it ends by itself within the timeout per read. Thread-safe.
 */
public final class ImageDownloader implements AutoCloseable {

    /** Prefer formats ImageIO decodes: a content-negotiating CDN must not pick WebP or AVIF. */
    private static final String ACCEPT = "image/png, image/jpeg;q=0.9, */*;q=0.5";
    private static final String DEFAULT_CONTENT_TYPE = "image/png";

    private final DownloadSettings settings;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor deadlines;
    private volatile boolean closed;

    public ImageDownloader(DownloadSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.deadlines = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "image-download-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        deadlines.setRemoveOnCancelPolicy(true);
    }

    public DownloadSettings settings() {
        return settings;
    }

    /**
     * Downloads one image.
     *
     * @param url the absolute image URL a provider returned
     * @return completes with the bytes and content type (from the response, {@code image/png} when
     *         absent; parameters dropped), or exceptionally with a {@link ProviderFailure}; never throws
     */
    public CompletableFuture<GeneratedImage> download(String url) {
        URI uri;
        try {
            uri = new URI(Objects.requireNonNull(url, "url"));
        } catch (URISyntaxException | NullPointerException e) {
            return CompletableFuture.failedFuture(malformed("image URL is not a valid URL", null));
        }
        if (!uri.isAbsolute() || uri.getHost() == null) {
            return CompletableFuture.failedFuture(malformed("image URL is not absolute with a host", null));
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return CompletableFuture.failedFuture(malformed("image URL scheme not allowed: " + scheme, null));
        }
        String host = uri.getHost();
        if (!settings.allows(host)) {
            return CompletableFuture.failedFuture(malformed("image host not allowed: " + host, null));
        }
        if (!settings.allows(scheme, host, uri.getPort())) {
            return CompletableFuture.failedFuture(malformed("image URL not allowed: " + scheme + "://" + host
                    + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + " (only https on port 443 unless the host is"
                    + " listed by exact name in router.storage.download.allowed-hosts)", null));
        }
        if (closed) {
            return CompletableFuture.failedFuture(new ProviderFailure(FailureKind.NETWORK, "image downloader is closed"));
        }
        HttpClient client;
        try {
            client = clientFor(scheme, host, uri.getPort());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new ProviderFailure(FailureKind.NETWORK,
                    "cannot create an HTTP client for " + host + ": " + e.getMessage(), null, null, e));
        }
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        HttpRequest<?> request = HttpRequest.GET(path).header(HttpHeaders.ACCEPT, ACCEPT);
        // Completed by hand rather than Mono.toFuture().handle(...): the future must fail with the
        // ProviderFailure itself, not a CompletionException around it.
        CompletableFuture<GeneratedImage> result = new CompletableFuture<>();
        try {
            Mono.from(client.exchange(request, byte[].class)).subscribe(
                    response -> complete(result, response, host),
                    error -> result.completeExceptionally(classify(unwrap(error), host)),
                    () -> result.completeExceptionally(malformed("image download from " + host
                            + " ended without a response", null)));
        } catch (RuntimeException e) { // a client closed under our feet, or a request it refuses to build
            result.completeExceptionally(classify(e, host));
            return result;
        }
        // The whole-download deadline. Deliberately not Mono.timeout(): cancelling does not abort
        // Micronaut's exchange, whose own read timeout then fires into a cancelled subscriber and
        // Reactor logs every such timeout at ERROR. Here the exchange is left to finish or time out
        // on its own (Micronaut's connect and read timeouts are set to the same value; the body is
        // capped at maxBytes) and its late signal lands on an already completed future, silently.
        try {
            ScheduledFuture<?> deadline = deadlines.schedule(() -> result.completeExceptionally(new ProviderFailure(
                    FailureKind.TIMEOUT, "image download from " + host + " timed out after "
                    + settings.timeout().toMillis() + " ms")), settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
            result.whenComplete((image, error) -> deadline.cancel(false)); // leaves the queue: no bytes kept alive
        } catch (RejectedExecutionException e) { // close() ran meanwhile
            result.completeExceptionally(new ProviderFailure(FailureKind.NETWORK, "image downloader is closed"));
        }
        return result;
    }

    private void complete(CompletableFuture<GeneratedImage> result, HttpResponse<byte[]> response, String host) {
        try {
            result.complete(toImage(response, host));
        } catch (RuntimeException e) {
            result.completeExceptionally(classify(e, host));
        }
    }

    private HttpClient clientFor(String scheme, String host, int port) {
        String key = scheme + "://" + host.toLowerCase(Locale.ROOT) + (port < 0 ? "" : ":" + port);
        HttpClient client = clients.computeIfAbsent(key, this::createClient);
        if (closed) { // close() ran between the check in download() and here: do not leak the client
            clients.remove(key, client);
            client.close();
            throw new IllegalStateException("image downloader is closed");
        }
        return client;
    }

    private HttpClient createClient(String baseUrl) {
        DefaultHttpClientConfiguration config = new DefaultHttpClientConfiguration();
        config.setFollowRedirects(false);
        config.setExceptionOnErrorStatus(false); // statuses are classified in toImage, one place
        config.setConnectTimeout(settings.timeout());
        config.setReadTimeout(settings.timeout());
        // One byte over the cap lets Micronaut accept a body of exactly maxBytes + 1, which
        // toImage then refuses with a clear message; anything larger fails inside the client.
        config.setMaxContentLength(Math.toIntExact(settings.maxBytes() + 1));
        try {
            return HttpClient.create(new URL(baseUrl), config);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("not a URL: " + baseUrl, e);
        }
    }

    private GeneratedImage toImage(HttpResponse<byte[]> response, String host) {
        int status = response.code();
        if (status < 200 || status >= 300) {
            throw statusFailure(status, host, null);
        }
        long declared = response.getContentLength();
        byte[] body = response.getBody().orElse(new byte[0]);
        if (declared > settings.maxBytes() || body.length > settings.maxBytes()) {
            throw tooLarge(host, null);
        }
        if (body.length == 0) {
            throw malformed("image download from " + host + " returned an empty body", null);
        }
        String contentType = response.getContentType().map(MediaType::getName).orElse(DEFAULT_CONTENT_TYPE);
        return new GeneratedImage(body, contentType);
    }

    /** Maps a transport error to a failure kind. Reads Micronaut, Netty and JDK exceptions only here. */
    private ProviderFailure classify(Throwable error, String host) {
        if (error instanceof ProviderFailure failure) {
            return failure;
        }
        if (error instanceof HttpClientResponseException e) {
            return statusFailure(e.code(), host, e);
        }
        if (error instanceof ContentLengthExceededException) {
            return tooLarge(host, error);
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ReadTimeoutException || t instanceof TimeoutException
                    || t instanceof io.netty.channel.ConnectTimeoutException
                    || t instanceof java.net.SocketTimeoutException) {
                return new ProviderFailure(FailureKind.TIMEOUT, "image download from " + host
                        + " timed out after " + settings.timeout().toMillis() + " ms", null, null, error);
            }
            if (t instanceof ContentLengthExceededException) {
                return tooLarge(host, error);
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof IOException) {
                return network(host, error);
            }
        }
        if (error instanceof HttpClientException || error instanceof IllegalStateException) {
            return network(host, error); // connection closed early, client closed, pool exhausted
        }
        return malformed("image download from " + host + " failed: " + error, error);
    }

    private static ProviderFailure statusFailure(int status, String host, Throwable cause) {
        String message = status >= 300 && status < 400
                ? "image download from " + host + ": redirect not followed (HTTP " + status + ")"
                : "image download from " + host + " failed: HTTP " + status;
        return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, message, status, null, cause);
    }

    private static ProviderFailure network(String host, Throwable error) {
        return new ProviderFailure(FailureKind.NETWORK, "image download from " + host + " failed: "
                + error.getClass().getSimpleName() + ": " + error.getMessage(), null, null, error);
    }

    private ProviderFailure tooLarge(String host, Throwable cause) {
        return malformed("image from " + host + " is larger than " + settings.maxBytes() + " bytes", cause);
    }

    private static ProviderFailure malformed(String message, Throwable cause) {
        return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, message, null, null, cause);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Closes every client; later downloads fail with {@code NETWORK}. Idempotent. */
    @PreDestroy
    @Override
    public void close() {
        closed = true;
        deadlines.shutdownNow();
        clients.values().removeIf(client -> {
            client.close();
            return true;
        });
    }
}
