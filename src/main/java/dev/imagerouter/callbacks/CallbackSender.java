package dev.imagerouter.callbacks;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookSigningException;
import dev.imagerouter.callbacks.Delivery.Outcome;
import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.settings.CallbackSettings;
import dev.imagerouter.vocabulary.LogContext;
import dev.imagerouter.vocabulary.LogText;
import dev.imagerouter.vocabulary.MetricNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

// Over 300 lines because one message's whole life is here (check, sign, POST, classify, back off, give up, tell the listener, count, log); split, the retry rules would be spread over several files.

/*
 * Threads. send() only queues. Everything else runs on this sender's own single daemon thread
 * ("callback-sender"): the destination check (which may wait on DNS, so it cannot use the router
 * scheduler, whose rule is to never block), signing, starting the exchange, the deadline, the decision
 * after each delivery, the listener and the retry timers. The exchange itself runs on the HTTP client's
 * event loop and hops back to that thread when it ends. One thread keeps the listener calls of a message
 * in order and never concurrent; a callback is small work, and a burst only queues.
 *
 * The HTTP client: one Micronaut client without a base URL (requests carry absolute URIs), created as
 * WebhookSink creates its own (DefaultHttpClientConfiguration: connect and read timeouts = timeout,
 * redirects never followed, a small response cap), and replaced when router.callbacks.timeout changes on
 * a reload (the old one is closed once its deliveries in flight have had their time).
 *
 * Settings (allowed hosts, secret, timings) are read from the running configuration before each
 * delivery, so a reload applies to the next delivery of every pending message.
 *
 * Shutdown (close) drops pending retries without telling the listeners: the caller's record of the
 * message says "not delivered yet", and it resumes after the restart with previousAttempts.
 */
/**
 * Delivers job callbacks: POSTs a {@link Callback}'s body to its URL, signed as Standard Webhooks specify, and retries
 * until the receiver takes it, asks to stop, or {@code router.callbacks.max-age} has passed. Never blocks the caller.
 * Thread-safe.
 *
 * <p>Each delivery is one {@code POST <url>} with the body as is and these headers (names and signature format from
 * the Standard Webhooks specification, standardwebhooks.com, signed with its Java library):
 * <ul>
 *   <li>{@code Content-Type: application/json}, {@code User-Agent: image-router};</li>
 *   <li>{@code webhook-id}: {@link Callback#messageId()}, the same on every delivery of the message;</li>
 *   <li>{@code webhook-timestamp}: the delivery's start, in Unix seconds (each delivery has its own);</li>
 *   <li>{@code webhook-signature}: {@code v1,<base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>},
 *       where key is the base64-decoded part of {@code ROUTER_CALLBACK_SECRET} after {@code whsec_}.</li>
 * </ul>
 * Outcomes: a 2xx answer is DELIVERED. 410 Gone is GAVE_UP at once (the receiver says stop). Any other status, a
 * redirect (never followed), a network error or no answer within {@code router.callbacks.timeout} is a failure: the
 * next delivery is scheduled after {@code initial-backoff × 2^(n-1)} for the n-th delivery, capped at
 * {@code max-backoff}, then spread by ±{@value #JITTER_PERCENT} %, unless it would start after
 * {@code firstAttemptAt + max-age}, which is GAVE_UP. A destination refused by {@link CallbackDestinations} at
 * delivery time (allow-list changed by a reload, a wildcard host resolving to a private address, no secret) is
 * GAVE_UP without a request; a name that does not resolve is a network error (retried).
 *
 * <p>Every outcome goes to the {@link DeliveryListener}, to the counter
 * {@code image_router_callback_deliveries_total{outcome="delivered|retrying|gave_up"}}, and to the log (INFO per
 * delivered message, WARN per give-up, DEBUG per retry), which shows the message id and the URL without its query
 * (queries often carry tokens), escaped; never the secret, a signature or the body. Each line carries the log context
 * (MDC) the caller had when it called {@link #send}, e.g. the job's request id.
 */
@Singleton
public final class CallbackSender implements AutoCloseable {

    /** Messages pending (queued, in flight or waiting for a retry) at most; the next ones are given up at once. */
    static final int MAX_PENDING = 10_000;
    /** Spread of each backoff delay, in percent either way. */
    static final int JITTER_PERCENT = 10;
    /** Response bodies are read and dropped; a larger one fails the delivery (receivers answer with a few bytes). */
    static final int MAX_RESPONSE_BYTES = 64 * 1024;
    static final String USER_AGENT = "image-router";
    /** Header names of the Standard Webhooks specification. */
    static final String ID_HEADER = "webhook-id";
    static final String TIMESTAMP_HEADER = "webhook-timestamp";
    static final String SIGNATURE_HEADER = "webhook-signature";

    private static final Logger LOG = LoggerFactory.getLogger(CallbackSender.class);

    private final RunningRouter runtime;
    private final CallbackDestinations destinations;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor thread;
    private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
    private final AtomicInteger pending = new AtomicInteger();
    private final List<HttpClient> retiredClients = new ArrayList<>();
    private Client client; // guarded by this
    private volatile boolean closed;

    private record Client(Duration timeout, HttpClient http) {
    }

    /** One message on its way: what to send, whom to tell, and the log context of its lines. */
    private record Message(Callback callback, DeliveryListener listener, Map<String, String> log) {
    }

    /** What one delivery's exchange ended with: a status, or an error in words. */
    private record Result(Optional<Integer> status, Optional<String> error) {
    }

    /**
     * @param runtime      the running configuration ({@code router.callbacks}, sandbox mode), read per delivery
     * @param destinations the destination rules, checked again before each delivery
     * @param clock        the source of {@code webhook-timestamp}, {@link Delivery#at()} and the max-age check
     * @param meters       where {@code image_router_callback_deliveries} is registered (each outcome at 0 from the start)
     */
    public CallbackSender(RunningRouter runtime, CallbackDestinations destinations, Clock clock, MeterRegistry meters) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.destinations = Objects.requireNonNull(destinations, "destinations");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.thread = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread t = new Thread(runnable, "callback-sender");
            t.setDaemon(true);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
        for (Outcome outcome : Outcome.values()) {
            counters.put(outcome, Counter.builder(MetricNames.CALLBACK_DELIVERIES)
                    .description("Job callback deliveries by outcome (delivered, retrying, gave_up)")
                    .tag("outcome", outcome.wire()).register(meters));
        }
    }

    /**
     * Queues a message for delivery and returns at once; the first delivery of this call starts as soon as the
     * sender's thread takes it. The listener hears every delivery (see {@link DeliveryListener}). After
     * {@link #close()} this does nothing (the message stays undelivered in the caller's records).
     *
     * @param callback what to send, where; {@link Callback#previousAttempts()} and {@link Callback#firstAttemptAt()}
     *                 continue a message begun before a restart
     * @param listener hears each delivery's outcome; {@link DeliveryListener#NONE} to ignore them
     * @throws NullPointerException when an argument is null
     */
    public void send(Callback callback, DeliveryListener listener) {
        Message message = new Message(Objects.requireNonNull(callback, "callback"), Objects.requireNonNull(listener, "listener"),
                LogContext.capture());
        if (closed) {
            LOG.debug("callback {} not sent: the sender is closed", LogText.escape(callback.messageId()));
            return;
        }
        int attempt = callback.previousAttempts() + 1;
        if (pending.incrementAndGet() > MAX_PENDING) {
            run(message, () -> finish(message, attempt, clock.instant(), Optional.empty(),
                    "backlog full (" + MAX_PENDING + " callbacks pending)"));
            return;
        }
        run(message, () -> attempt(message, attempt));
    }

    /** One delivery, on the sender's thread. */
    private void attempt(Message message, int attempt) {
        Callback callback = message.callback();
        Instant start = clock.instant();
        CallbackSettings settings = CallbackDestinations.settings(runtime.config());
        Instant deadline = callback.firstAttemptAt().plus(settings.maxAge());
        if (start.isAfter(deadline)) {
            finish(message, attempt, start, Optional.empty(), "max-age " + settings.maxAge() + " passed before the delivery");
            return;
        }
        Optional<String> refusal;
        try {
            refusal = destinations.checkAtDelivery(callback.url());
        } catch (UnknownHostException e) {
            failed(message, attempt, start, new Result(Optional.empty(), Optional.of("UnknownHostException: "
                    + callback.url().getHost() + " does not resolve")));
            return;
        } catch (RuntimeException e) {
            failed(message, attempt, start, new Result(Optional.empty(), Optional.of(describe(e))));
            return;
        }
        if (refusal.isPresent()) {
            finish(message, attempt, start, Optional.empty(), "destination refused: " + refusal.get());
            return;
        }
        String signature;
        long timestamp = start.getEpochSecond();
        try {
            // the library signs text; Callback guarantees the body is UTF-8, so this is the body's exact bytes
            signature = new Webhook(settings.secret().orElseThrow().reveal())
                    .sign(callback.messageId(), timestamp, new String(callback.body(), StandardCharsets.UTF_8));
        } catch (WebhookSigningException | RuntimeException e) {
            finish(message, attempt, start, Optional.empty(), "cannot sign: " + e.getClass().getSimpleName());
            return;
        }
        MutableHttpRequest<byte[]> request = HttpRequest.POST(callback.url(), callback.body())
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .header(HttpHeaders.USER_AGENT, USER_AGENT)
                .header(ID_HEADER, callback.messageId())
                .header(TIMESTAMP_HEADER, Long.toString(timestamp))
                .header(SIGNATURE_HEADER, signature);
        exchange(request, settings.timeout()).whenComplete((result, error) -> run(message, () -> settle(message, attempt, start,
                error == null ? result : new Result(Optional.empty(), Optional.of(describe(error))))));
    }

    /** Starts one exchange; completes with its status, or with the error text, within the timeout. Never throws. */
    private CompletableFuture<Result> exchange(MutableHttpRequest<byte[]> request, Duration timeout) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        try {
            Mono.from(client(timeout).exchange(request)).subscribe(
                    response -> result.complete(new Result(Optional.of(response.code()), Optional.empty())),
                    error -> { // Micronaut reports 4xx and 5xx answers as errors, whatever exceptionOnErrorStatus says
                        if (error instanceof HttpClientResponseException e) {
                            result.complete(new Result(Optional.of(e.code()), Optional.empty()));
                        } else {
                            result.completeExceptionally(error);
                        }
                    },
                    () -> result.completeExceptionally(new IllegalStateException("the exchange ended without a response")));
            ScheduledFuture<?> deadline = thread.schedule(() -> result.completeExceptionally(
                    new TimeoutException("no answer within " + timeout)), timeout.toNanos(), TimeUnit.NANOSECONDS);
            result.whenComplete((r, e) -> deadline.cancel(false));
        } catch (RuntimeException e) { // a client closed under our feet, a request it refuses to build, a closed thread
            result.completeExceptionally(e);
        }
        return result;
    }

    /** After an exchange, on the sender's thread. */
    private void settle(Message message, int attempt, Instant start, Result result) {
        int status = result.status().orElse(0);
        if (status >= 200 && status < 300) {
            pending.decrementAndGet();
            LOG.info("callback delivered: id={} url=\"{}\" attempt={} status={} duration_ms={}",
                    LogText.escape(message.callback().messageId()), forLog(message.callback().url()), attempt, status,
                    Duration.between(start, clock.instant()).toMillis());
            report(message, new Delivery(attempt, start, result.status(), Optional.empty(), Outcome.DELIVERED, Optional.empty()));
        } else if (status == 410) {
            finish(message, attempt, start, result.status(), "HTTP 410 Gone: the receiver asked for no more deliveries");
        } else if (status != 0) {
            failed(message, attempt, start, new Result(result.status(), Optional.of(status >= 300 && status < 400
                    ? "redirect not followed (HTTP " + status + ")" : "HTTP " + status)));
        } else {
            failed(message, attempt, start, result);
        }
    }

    /** A failed delivery: schedules the next one, or gives up when it would start after max-age. */
    private void failed(Message message, int attempt, Instant start, Result result) {
        CallbackSettings settings = CallbackDestinations.settings(runtime.config());
        Duration delay = backoff(attempt, settings.initialBackoff(), settings.maxBackoff(), ThreadLocalRandom.current().nextDouble());
        Instant next = clock.instant().plus(delay);
        String error = result.error().orElse("failed");
        if (next.isAfter(message.callback().firstAttemptAt().plus(settings.maxAge()))) {
            finish(message, attempt, start, result.status(), error + "; the next delivery would start after max-age "
                    + settings.maxAge());
            return;
        }
        if (closed) {
            return;
        }
        try {
            thread.schedule(LogContext.wrap(message.log(), () -> attempt(message, attempt + 1)), delay.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return; // closed meanwhile: the caller resumes after the restart
        }
        LOG.debug("callback delivery failed, retrying: id={} url=\"{}\" attempt={} error=\"{}\" next_in_ms={}",
                LogText.escape(message.callback().messageId()), forLog(message.callback().url()), attempt, LogText.escape(error),
                delay.toMillis());
        report(message, new Delivery(attempt, start, result.status(), Optional.of(error), Outcome.RETRYING, Optional.of(next)));
    }

    /** Gives up: no further delivery of this message. */
    private void finish(Message message, int attempt, Instant at, Optional<Integer> status, String reason) {
        pending.decrementAndGet();
        LOG.warn("callback given up: id={} url=\"{}\" attempt={} status={} reason=\"{}\"",
                LogText.escape(message.callback().messageId()), forLog(message.callback().url()), attempt,
                status.map(String::valueOf).orElse("-"), LogText.escape(reason));
        report(message, new Delivery(attempt, at, status, Optional.of(reason), Outcome.GAVE_UP, Optional.empty()));
    }

    /** Counts the outcome and tells the listener; nothing the listener does reaches the delivery. */
    private void report(Message message, Delivery delivery) {
        counters.get(delivery.outcome()).increment();
        try {
            message.listener().onDelivery(delivery);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            LOG.warn("callback listener failed for id={} ({}): {}", LogText.escape(message.callback().messageId()),
                    delivery.outcome(), LogText.escape(e.toString()));
        }
    }

    /**
     * The delay after the {@code attempt}-th delivery failed: {@code initial × 2^(attempt-1)}, capped at {@code max},
     * then multiplied by {@code 1 ± JITTER_PERCENT/100} ({@code random} 0 gives the least, 1 the most).
     *
     * @param attempt the failed delivery's number, from 1
     * @param random  a number in [0, 1)
     */
    static Duration backoff(int attempt, Duration initial, Duration max, double random) {
        long initialMs = Math.max(1, initial.toMillis());
        long maxMs = Math.max(initialMs, max.toMillis());
        int doublings = Math.max(0, attempt - 1);
        long base = doublings >= 62 || initialMs > (maxMs >> doublings) ? maxMs : Math.min(maxMs, initialMs << doublings);
        double factor = 1 + (JITTER_PERCENT / 100.0) * (2 * random - 1);
        return Duration.ofMillis(Math.max(1, Math.round(base * factor)));
    }

    private synchronized HttpClient client(Duration timeout) {
        if (closed) {
            throw new IllegalStateException("the callback sender is closed");
        }
        if (client != null && client.timeout().equals(timeout)) {
            return client.http();
        }
        if (client != null) {
            HttpClient old = client.http();
            retiredClients.add(old);
            // deliveries in flight on the old client end within its timeout: close it after twice that
            thread.schedule(() -> retire(old), client.timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        }
        DefaultHttpClientConfiguration config = new DefaultHttpClientConfiguration();
        config.setConnectTimeout(timeout);
        config.setReadTimeout(timeout);
        config.setFollowRedirects(false); // a redirect could leave the allow-list
        config.setExceptionOnErrorStatus(false); // statuses are classified in settle, one place (see exchange)
        config.setMaxContentLength(MAX_RESPONSE_BYTES);
        client = new Client(timeout, HttpClient.create(null, config));
        return client.http();
    }

    private synchronized void retire(HttpClient old) {
        if (retiredClients.remove(old)) {
            old.close();
        }
    }

    /** Runs a task of {@code message} on the sender's thread, in the message's log context. */
    private void run(Message message, Runnable task) {
        run(LogContext.wrap(message.log(), task));
    }

    /** Runs a task on the sender's thread; dropped when the sender is closed. */
    private void run(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debug("callback task dropped: the sender is closed");
        }
    }

    /** The URL for a log line: scheme, host, port and path, without query or fragment, escaped. */
    static String forLog(URI url) {
        return LogText.escape(url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath()) + (url.getRawQuery() == null ? "" : "?…"));
    }

    /** An error in a few words: the exception's class and the first line of its message, at most 200 characters. */
    private static String describe(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && (t instanceof CompletionException || t instanceof ExecutionException)) {
            t = t.getCause();
        }
        if (t instanceof HttpClientResponseException e) {
            return "HTTP " + e.code();
        }
        if (t instanceof TimeoutException) {
            return t.getMessage();
        }
        String message = t.getMessage() == null ? "" : ": " + t.getMessage().lines().findFirst().orElse("");
        String text = t.getClass().getSimpleName() + message;
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    /** Stops delivering: pending retries are dropped without a listener call, the HTTP clients are closed. */
    @PreDestroy
    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
        int left = pending.get();
        if (left > 0) {
            LOG.info("callback sender closed with {} callback(s) not yet delivered; their owners resume them", left);
        }
        synchronized (this) {
            if (client != null) {
                client.http().close();
                client = null;
            }
            retiredClients.forEach(HttpClient::close);
            retiredClients.clear();
        }
    }
}
