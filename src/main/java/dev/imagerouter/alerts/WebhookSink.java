package dev.imagerouter.alerts;

import dev.imagerouter.settings.AlertSettings;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.json.JsonMapper;
import io.micronaut.serde.annotation.Serdeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/*
 * Delivery: POST <webhook-url> with the JSON body below, non-blocking (Micronaut's HTTP client on
 * its event loop). A delivery fails on a non-2xx answer, a connection error or no answer within
 * `timeout`; it is then retried `retries` times after retry-backoff, 2 × retry-backoff, 4 × ...,
 * scheduled on the router scheduler. Nothing here runs on a request's path: AlertService hands
 * the first attempt to the scheduler as well. At most MAX_PENDING deliveries are queued; beyond
 * that alerts go to the log only. The URL is never logged (Slack webhook paths carry a token).
 */
/** Sends alerts to an HTTP webhook (Slack-compatible). Thread-safe; {@link #close()} releases the client. */
final class WebhookSink implements AutoCloseable {

    /**
     * The JSON body: the alert's fields plus {@code text}, the one line Slack's incoming webhooks show.
     *
     * @param value     observed value (credit balance, USD), or null
     * @param threshold crossed limit, or null
     * @param timestamp ISO-8601 instant the alert was raised
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Body(String alert, String severity, String status, String provider, @Nullable BigDecimal value,
                @Nullable BigDecimal threshold, String message, String text, String timestamp) {

        static Body of(Alert alert, Instant at) {
            return new Body(alert.alert(), alert.severity().wireName(), alert.status().wireName(), alert.provider(),
                    alert.value().orElse(null), alert.threshold().orElse(null), alert.message(), alert.text(), at.toString());
        }
    }

    static final int MAX_PENDING = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSink.class);

    private final ScheduledExecutorService scheduler;
    private final JsonMapper json;
    private final AtomicInteger pending = new AtomicInteger();
    private Client client;

    private record Client(String root, Duration timeout, HttpClient http) {
    }

    WebhookSink(ScheduledExecutorService scheduler, JsonMapper json) {
        this.scheduler = scheduler;
        this.json = json;
    }

    /** Queues the delivery of one alert; returns at once. */
    void deliver(AlertSettings settings, Alert alert, Instant at) {
        if (settings.webhookUrl().isEmpty()) {
            return;
        }
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            LOG.warn("alert webhook backlog full ({} pending): {} {} for {} went to the log only", MAX_PENDING,
                    alert.alert(), alert.status().wireName(), alert.provider());
            return;
        }
        String body;
        try {
            body = json.writeValueAsString(Body.of(alert, at));
        } catch (IOException e) {
            pending.decrementAndGet();
            LOG.warn("alert {} could not be encoded for the webhook: {}", alert.alert(), e.getClass().getSimpleName());
            return;
        }
        URI url = settings.webhookUrl().get();
        scheduler.execute(() -> attempt(settings, url, alert, body, 0));
    }

    private void attempt(AlertSettings settings, URI url, Alert alert, String body, int attempt) {
        CompletableFuture<Integer> sent;
        try {
            sent = send(settings, url, body);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((status, error) -> {
            if (error == null) {
                pending.decrementAndGet();
                return;
            }
            if (attempt < settings.retries()) {
                long delay = settings.retryBackoff().toMillis() << Math.min(attempt, 16);
                scheduler.schedule(() -> attempt(settings, url, alert, body, attempt + 1), delay, TimeUnit.MILLISECONDS);
            } else {
                pending.decrementAndGet();
                LOG.warn("alert webhook delivery failed after {} attempt(s): alert={} status={} provider={} cause={}",
                        attempt + 1, alert.alert(), alert.status().wireName(), alert.provider(), describe(error));
            }
        });
    }

    /** One POST; completes with the 2xx status, or exceptionally. */
    private CompletableFuture<Integer> send(AlertSettings settings, URI url, String body) {
        HttpClient http = client(settings, url);
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        MutableHttpRequest<String> request = HttpRequest.POST(path, body)
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .accept(MediaType.ALL_TYPE);
        CompletableFuture<Integer> result = new CompletableFuture<>();
        CompletableFuture<Integer> exchange = Mono.from(http.exchange(request, Argument.STRING, Argument.STRING))
                .map(r -> r.getStatus().getCode())
                .toFuture();
        exchange.whenComplete((status, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(status);
            }
        });
        scheduler.schedule(() -> {
            if (result.completeExceptionally(new TimeoutException("no answer within " + settings.timeout()))) {
                exchange.cancel(true);
            }
        }, settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        return result;
    }

    private synchronized HttpClient client(AlertSettings settings, URI url) {
        String root = url.getScheme() + "://" + url.getRawAuthority();
        if (client != null && client.root().equals(root) && client.timeout().equals(settings.timeout())) {
            return client.http();
        }
        if (client != null) {
            HttpClient old = client.http();
            // deliveries in flight on the old client finish first
            scheduler.schedule(old::close, settings.timeout().toMillis() * (settings.retries() + 2L), TimeUnit.MILLISECONDS);
        }
        DefaultHttpClientConfiguration config = new DefaultHttpClientConfiguration();
        config.setReadTimeout(settings.timeout());
        config.setConnectTimeout(settings.timeout());
        config.setFollowRedirects(false);
        config.setMaxContentLength(64 * 1024);
        try {
            client = new Client(root, settings.timeout(), HttpClient.create(new URL(root), config));
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("alert webhook URL is not valid", e);
        }
        return client.http();
    }

    private static String describe(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && (t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        if (t instanceof HttpClientResponseException e) {
            return "HTTP " + e.getStatus().getCode();
        }
        return t.getClass().getSimpleName();
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.http().close();
            client = null;
        }
    }
}
