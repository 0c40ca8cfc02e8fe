package dev.imagerouter.api;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.vocabulary.Secret;
import dev.imagerouter.vocabulary.MetricNames;
import dev.imagerouter.provider.leonardo.LeonardoWebhookPayload;
import dev.imagerouter.provider.leonardo.LeonardoWebhookReceiver;
import dev.imagerouter.provider.leonardo.LeonardoWebhooks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpRequestWrapper;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.ServerHttpRequest;
import io.micronaut.http.body.ByteBody;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Named;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code POST /v1/webhooks/leonardo}: Leonardo's completion callback (shared/specs/leonardo/WIRE.md §5).
 *
 * <ul>
 *   <li>{@code Authorization: Bearer <router.webhooks.leonardo-key>}, compared in constant time; anything
 *       else (or no key configured) → 401 {@code invalid_api_key}. Checked before a byte of the body is
 *       read: the method takes no {@code @Body} (Micronaut would buffer one before calling it) and reads the
 *       request's streaming body itself only after the key matched, so an unauthorised sender cannot make
 *       the router hold its body in memory.</li>
 *   <li>a body over {@value #MAX_BODY_BYTES} bytes (64 KiB; Leonardo's callback is a few KB) → 413
 *       {@code request_too_large}, from its {@code Content-Length} before reading, or as soon as a
 *       chunked body passes the cap (the rest is not read)</li>
 *   <li>a body that is not JSON with {@code data.object.id} → 400</li>
 *   <li>otherwise 200 {@code {"received":true}} at once; the delivery runs off the request thread
 *       ({@link LeonardoWebhookReceiver}); repeats and unknown generations are accepted and ignored</li>
 * </ul>
 * Errors use the OpenAI error shape. The body is never logged: Leonardo puts the API key record (with the
 * webhook key) in it.
 */
@Controller("/v1/webhooks/leonardo")
public class LeonardoWebhookController {

    /** The largest callback body accepted, in bytes (64 KiB). */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /** The acknowledgement; Leonardo reads only the status (WIRE §5.1: "assume any 2xx"). */
    @Serdeable
    public record Ack(boolean received) {
    }

    private final RunningRouter runtime;
    private final JsonMapper json;
    private final MeterRegistry registry;
    private final LeonardoWebhookReceiver receiver;

    public LeonardoWebhookController(RunningRouter runtime, JsonMapper json, MeterRegistry registry, LeonardoWebhooks webhooks,
                                     @Named("router-scheduler") ScheduledExecutorService scheduler) {
        this.runtime = runtime;
        this.json = json;
        this.registry = registry;
        this.receiver = new LeonardoWebhookReceiver(webhooks, scheduler, this::count);
    }

    /**
     * @return 200 {@code {"received":true}} once the body is read and accepted
     * @throws ApiException 401 for a missing or wrong key (before the body is read), 413 for a body over
     *                      {@value #MAX_BODY_BYTES} bytes, 400 for a body without {@code data.object.id}
     */
    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public Mono<HttpResponse<Ack>> receive(HttpRequest<?> request) {
        Optional<Secret> key = runtime.config().auth().leonardoWebhookKey();
        Optional<String> presented = ClientAuthFilter.bearer(request);
        if (key.isEmpty() || presented.isEmpty() || !key.get().matches(presented.get())) {
            count("unauthorized");
            throw new ApiException(HttpStatus.UNAUTHORIZED, presented.isEmpty() ? "You didn't provide the webhook key."
                    : "Incorrect webhook key provided.", "invalid_request_error", null, "invalid_api_key",
                    Map.of(HttpHeaders.WWW_AUTHENTICATE, "Bearer"), null);
        }
        if (request.getContentLength() > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        return readCapped(request).map(body -> {
            Optional<LeonardoWebhookPayload> payload = parse(body);
            if (payload.isEmpty()) {
                count("invalid");
                throw ApiException.invalid("data.object.id", "invalid_value",
                        "Expected a Leonardo callback: a JSON object with data.object.id (WIRE §5.2).");
            }
            receiver.accept(payload.get());
            return HttpResponse.ok(new Ack(true));
        });
    }

    /** The body, read as a stream; fails with 413 (and stops reading) once it passes {@link #MAX_BODY_BYTES}. */
    private Mono<byte[]> readCapped(HttpRequest<?> request) {
        HttpRequest<?> r = request;
        while (r instanceof HttpRequestWrapper<?> w) {
            r = w.getDelegate();
        }
        if (!(r instanceof ServerHttpRequest<?> server)) {
            return Mono.error(new IllegalStateException("not a server request: " + r.getClass().getName()));
        }
        Publisher<byte[]> chunks = server.byteBody().split(ByteBody.SplitBackpressureMode.FASTEST).toByteArrayPublisher();
        return Flux.from(chunks).collect(ByteArrayOutputStream::new, (out, chunk) -> {
            if (out.size() + (long) chunk.length > MAX_BODY_BYTES) {
                throw tooLarge();
            }
            out.write(chunk, 0, chunk.length);
        }).map(ByteArrayOutputStream::toByteArray);
    }

    private ApiException tooLarge() {
        count("too_large");
        return new ApiException(HttpStatus.REQUEST_ENTITY_TOO_LARGE, "The callback body is larger than " + MAX_BODY_BYTES
                + " bytes.", "invalid_request_error", null, "request_too_large", Map.of(), null);
    }

    private Optional<LeonardoWebhookPayload> parse(byte[] body) {
        if (body == null || body.length == 0) {
            return Optional.empty();
        }
        try {
            return LeonardoWebhookPayload.parse(json.readValue(body, JsonNode.class));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private void count(String outcome) {
        Counter.builder(MetricNames.WEBHOOKS)
                .description("Provider callbacks received, by outcome")
                .tags("provider", "leonardo", "outcome", outcome)
                .register(registry).increment();
    }
}
