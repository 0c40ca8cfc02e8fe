package dev.imagerouter.api;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.routing.ChainFailedException;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.sse.Event;
import io.micronaut.json.JsonMapper;
import reactor.core.publisher.Sinks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/*
 * One streaming answer ({@code stream: true}) in OpenAI's server-sent-event format
 * (shared/specs/openai/GPT-IMAGE-2.md §4):
 *
 *   event: image_generation.partial_image   data: {"type", "b64_json", "created_at", "size", "quality",
 *                                                  "background", "output_format", "partial_image_index"}
 *   ... 0 to partial_images of them, relayed as the provider sends them (OpenAI only) ...
 *   event: image_generation.completed       data: {... the same keys, "usage", "router"}   one per image
 *
 * The HTTP status is chosen as late as possible: the answer starts (200, text/event-stream) at the
 * first partial image, or when the generation has succeeded; a generation that fails before any
 * event gets the ordinary JSON error answer (429, 502, ...). A failure after the first event ends
 * the stream with {@code event: error} and {@code data: {"error": {...}}}, which the SDKs raise.
 * Partial images are the provider's previews at its own size and format; each completed event
 * carries the stored image (normalised to the requested size and format), read from the store like
 * a b64_json answer. {@code usage} (all four keys, as the SDKs require) is the answering provider's,
 * on the last completed event, and zero on the others and when the provider reported none.
 * Thread-safety: events are emitted under this object's lock, so they keep their order whatever
 * thread the provider or the store completes on.
 */
/** The server-sent-event answer to one {@code stream: true} request. */
final class GenerationEvents implements PartialImageListener {

    static final String PARTIAL = "image_generation.partial_image";
    static final String COMPLETED = "image_generation.completed";

    private final JsonMapper json;
    private final ImageRequest request;
    private final Map<String, String> headers;
    private final Sinks.Many<Event<String>> sink = Sinks.many().unicast().onBackpressureBuffer();
    private final CompletableFuture<MutableHttpResponse<?>> response = new CompletableFuture<>();

    /** @param headers headers of the answer known before it starts (the request id) */
    GenerationEvents(JsonMapper json, ImageRequest request, Map<String, String> headers) {
        this.json = json;
        this.request = request;
        this.headers = Map.copyOf(headers);
    }

    @Override
    public synchronized void onPartialImage(int index, String base64, String format) {
        Map<String, Object> data = common(PARTIAL, base64, format);
        data.put("partial_image_index", index);
        emit(PARTIAL, data);
        start(Map.of());
    }

    /**
     * The answer: starts with the first partial image or once {@code answer} has succeeded; fails
     * (as a JSON error answer) when {@code answer} fails before the first event.
     *
     * @param answer the synchronous answer's body, with {@code b64_json} in every image, and its headers
     */
    CompletableFuture<MutableHttpResponse<?>> respond(CompletableFuture<Answer> answer) {
        answer.whenComplete((a, error) -> {
            synchronized (this) {
                if (error != null) {
                    if (!response.isDone()) {
                        sink.tryEmitComplete();
                        response.completeExceptionally(error);
                    } else {
                        emitError(error);
                        sink.tryEmitComplete();
                    }
                    return;
                }
                List<GenerationResponse.ImageData> images = a.body().data();
                for (int i = 0; i < images.size(); i++) {
                    boolean last = i == images.size() - 1;
                    Map<String, Object> data = common(COMPLETED, images.get(i).b64Json(), request.outputFormat());
                    data.put("usage", last && a.body().usage() != null ? a.body().usage() : GenerationResponse.Usage.zero());
                    if (last) {
                        data.put("router", a.body().router());
                    }
                    emit(COMPLETED, data);
                }
                sink.tryEmitComplete();
                start(a.headers());
            }
        });
        return response;
    }

    /** A synchronous answer and the headers that go with it. */
    record Answer(GenerationResponse body, Map<String, String> headers) {
    }

    private Map<String, Object> common(String type, String base64, String format) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("type", type);
        data.put("b64_json", base64);
        data.put("created_at", Instant.now().getEpochSecond());
        data.put("size", request.width() + "x" + request.height());
        data.put("quality", request.quality());
        data.put("background", request.background());
        data.put("output_format", format);
        return data;
    }

    private void start(Map<String, String> more) {
        if (response.isDone()) {
            return;
        }
        MutableHttpResponse<?> ok = HttpResponse.ok(sink.asFlux()).contentType(MediaType.TEXT_EVENT_STREAM_TYPE)
                .header("Cache-Control", "no-store");
        headers.forEach(ok::header);
        more.forEach(ok::header);
        response.complete(ok);
    }

    private void emitError(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        String code = cause instanceof ChainFailedException ? "all_providers_failed" : "server_error";
        String message = cause instanceof ChainFailedException ? "Every provider in the chain failed."
                : "The generation failed after the stream started.";
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("message", message);
        detail.put("type", "server_error");
        detail.put("param", null);
        detail.put("code", code);
        emit("error", Map.of("error", detail));
    }

    private void emit(String name, Map<String, Object> data) {
        String text;
        try {
            text = json.writeValueAsString(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sink.tryEmitNext(Event.of(text).name(name));
    }
}
