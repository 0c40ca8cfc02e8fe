package dev.imagerouter.provider.openai;

import com.openai.client.OpenAIClientAsync;
import com.openai.client.OpenAIClientAsyncImpl;
import com.openai.core.ClientOptions;
import com.openai.core.Timeout;
import com.openai.core.http.HttpResponse;
import com.openai.errors.OpenAIIoException;
import com.openai.models.images.ImageGenerateParams;
import dev.imagerouter.vocabulary.GeneratedImage;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.PartialImageListener;
import dev.imagerouter.vocabulary.Unsupported;
import com.openai.core.http.AsyncStreamResponse;
import com.openai.models.images.ImageGenStreamEvent;
import java.util.Base64;
import dev.imagerouter.vocabulary.FailureKind;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The OpenAI adapter, through the official OpenAI Java SDK: {@code maxRetries(0)} (only the router
 * retries), explicit timeouts, base URL from config, and a Netty HTTP transport
 * ({@link NettyHttpTransport}: no 64-request cap, responses completed on the context's
 * {@code responses} workers). GPT image models return base64 only
 * (shared/specs/openai/GPT-IMAGE-2.md §3): the SDK maps every error status to its exceptions, and a 200
 * body is read by {@link ImagesResponseReader} in one streaming pass. A size the model does not
 * accept ({@link SizeRules}, the file's {@code sizes:}) is asked for at the nearest one it does, and
 * the router resizes to what the caller asked for. Cost comes from the answer's {@code usage} and
 * the file's per-token prices (the per-image table only when no usage came back).
 * Thread-safe.
 */
public final class OpenAiProvider implements ImageProvider, dev.imagerouter.provider.ModelCatalogue, AutoCloseable {

    /** Longest prompt of GPT image models, in characters (shared/specs/openai/GPT-IMAGE-2.md §1). */
    public static final int MAX_PROMPT = 32_000;

    private final ProviderConfig config;
    private final OpenAiSettings settings;
    private final ProviderContext context;
    private final OpenAIClientAsync client;
    private final OpenAiFailureClassifier classifier;

    public OpenAiProvider(ProviderConfig config, OpenAiSettings settings, ProviderContext context, Clock clock) {
        this.config = config;
        this.settings = settings;
        this.context = context;
        this.classifier = new OpenAiFailureClassifier(clock);
        this.client = new OpenAIClientAsyncImpl(ClientOptions.builder()
                .httpClient(new NettyHttpTransport(settings.connectTimeout(), config.timeout(), context.responses()))
                .baseUrl(config.baseUrl())
                .apiKey(config.apiKey().orElse(""))
                .maxRetries(0)
                .timeout(Timeout.builder().connect(settings.connectTimeout()).request(config.timeout())
                        .read(config.timeout()).write(config.timeout()).build())
                .build());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public String type() {
        return "openai";
    }

    @Override
    public String model() {
        return config.model();
    }

    /** The SDK client, shared with the model lifecycle check. */
    @Override
    public Optional<dev.imagerouter.provider.ModelCatalogue> modelCatalogue() {
        return Optional.of(this);
    }

    @Override
    public String remedy() {
        return "Set a successor model in providers/" + config.name() + ".yml (e.g. model: gpt-image-2.6-sunburst) and reload";
    }

    /**
     * {@code GET /v1/models/{model}} through the SDK: its {@code shutdown_date} when announced (a value the
     * SDK cannot read counts as none announced); a 404 is {@code MODEL_UNAVAILABLE}.
     */
    @Override
    public CompletableFuture<Optional<java.time.LocalDate>> shutdownDate(String model, java.time.Duration timeout) {
        CompletableFuture<com.openai.models.models.Model> call;
        try {
            call = client().models().retrieve(com.openai.models.models.ModelRetrieveParams.builder().model(model).build(),
                    com.openai.core.RequestOptions.builder().timeout(timeout).build());
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle((answer, error) -> {
            if (error != null) {
                throw classifier().classify(error);
            }
            try {
                return answer.shutdownDate();
            } catch (RuntimeException unreadable) {
                org.slf4j.LoggerFactory.getLogger(OpenAiProvider.class).warn("model check provider={} model={}: unreadable "
                        + "shutdown_date ({})", name(), model, dev.imagerouter.vocabulary.LogText.escape(unreadable));
                return Optional.<java.time.LocalDate>empty();
            }
        });
    }

    public OpenAIClientAsync client() {
        return client;
    }

    public OpenAiFailureClassifier classifier() {
        return classifier;
    }

    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request) {
        return generate(request, PartialImageListener.NONE);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Prompt longer than {@value #MAX_PROMPT} characters (GPT-IMAGE-2.md §1), or a transparent
     * background when the file does not say {@code transparent-background: true}.
     */
    @Override
    public Optional<Unsupported> unsupported(ImageRequest request) {
        if (request.prompt().codePointCount(0, request.prompt().length()) > MAX_PROMPT) {
            return Optional.of(new Unsupported("prompt", "prompt longer than OpenAI's " + MAX_PROMPT + " characters"));
        }
        if (ImageRequest.BACKGROUND_TRANSPARENT.equals(request.background()) && !settings.transparentBackground()) {
            return Optional.of(new Unsupported("background", config.name() + " (" + config.model()
                    + ") is not configured for transparent backgrounds (transparent-background: false)"));
        }
        return Optional.empty();
    }

    /**
     * {@inheritDoc}
     *
     * <p>In USD from the file's per-image {@code prices:} table (GPT-IMAGE-2.md §5): n × the price at
     * the request's quality ({@code auto} as {@code medium}) and the priced size nearest to the size
     * this model is asked for; empty when the table has no such entry.
     */
    @Override
    public Optional<ProviderResult.Cost> expectedCost(ImageRequest request) {
        int[] size = settings.sizes().nearest(request.width(), request.height());
        return settings.cost(Optional.empty(), request.quality(), size, request.n())
                .map(usd -> new ProviderResult.Cost(usd, ProviderResult.Cost.USD));
    }

    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request, PartialImageListener partials) {
        int[] size = settings.sizes().nearest(request.width(), request.height());
        ImageGenerateParams params = params(request, size);
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        if (request.partialImages() > 0 && partials != PartialImageListener.NONE) {
            stream(params, request, size, partials, result);
            return result;
        }
        // The raw response: the SDK still builds and sends the request and turns every non-2xx into
        // its typed exception; the 200 body is read here (ImagesResponseReader), not parsed by the SDK.
        client.images().withRawResponse().generate(params).whenComplete((response, error) -> {
            if (error != null) {
                result.completeExceptionally(classifier.classify(error));
                return;
            }
            try {
                ImagesResponseReader.Images images = readImages(response);
                result.complete(toResult(images.images(), images.quality(), images.usage(), request, size));
            } catch (RuntimeException e) {
                result.completeExceptionally(classifier.classify(e));
            }
        });
        return result;
    }

    /** The SDK's request: the model, the size this model accepts, and every gpt-image field the caller set. */
    ImageGenerateParams params(ImageRequest request, int[] size) {
        ImageGenerateParams.Builder params = ImageGenerateParams.builder()
                .model(config.model())
                .prompt(request.negativePrompt().map(n -> request.prompt() + "\nAvoid: " + n).orElse(request.prompt()))
                .n(request.n())
                .size(ImageGenerateParams.Size.of(size[0] + "x" + size[1]))
                .quality(ImageGenerateParams.Quality.of(request.quality()))
                .outputFormat(ImageGenerateParams.OutputFormat.of(request.outputFormat()));
        if (!ImageRequest.BACKGROUND_AUTO.equals(request.background())) {
            params.background(ImageGenerateParams.Background.of(request.background()));
        }
        if (!ImageRequest.MODERATION_AUTO.equals(request.moderation())) {
            params.moderation(ImageGenerateParams.Moderation.of(request.moderation()));
        }
        request.outputCompression().ifPresent(c -> params.outputCompression(c.longValue()));
        request.safetyIdentifier().ifPresent(params::safetyIdentifier);
        if (request.partialImages() > 0) {
            params.partialImages(request.partialImages());
        }
        // The attempt's trace context, read here where it is current: the SDK sends the request from
        // the common fork-join pool, so the transport itself never sees it.
        context.trace().current().forEach(params::putAdditionalHeader);
        if (context.sandbox()) {
            params.putAdditionalHeader(ProviderContext.SANDBOX_PROVIDER_HEADER, config.name());
            request.sandboxFaults().ifPresent(f -> params.putAdditionalHeader(ProviderContext.SANDBOX_FAULT_HEADER, f));
        }
        return params.build();
    }

    /**
     * A streaming call ({@code stream: true}, GPT-IMAGE-2.md §4): partial images go to {@code partials}
     * as they are parsed, completed events are collected into the result. The SDK parses the events;
     * with this transport the body arrives whole, so partials are relayed when the answer is complete.
     */
    private void stream(ImageGenerateParams params, ImageRequest request, int[] size, PartialImageListener partials,
                        CompletableFuture<ProviderResult> result) {
        List<byte[]> images = new ArrayList<>();
        ProviderResult.Usage[] usage = {null};
        AsyncStreamResponse<ImageGenStreamEvent> events;
        try {
            events = client.images().generateStreaming(params);
        } catch (RuntimeException e) {
            result.completeExceptionally(classifier.classify(e));
            return;
        }
        events.subscribe(new AsyncStreamResponse.Handler<>() {
            @Override
            public void onNext(ImageGenStreamEvent event) {
                if (event.isGenerationPartialImage()) {
                    var partial = event.asGenerationPartialImage();
                    partials.onPartialImage((int) partial.partialImageIndex(), partial.b64Json(),
                            partial.outputFormat().asString());
                } else if (event.isGenerationCompleted()) {
                    var completed = event.asGenerationCompleted();
                    images.add(Base64.getDecoder().decode(completed.b64Json()));
                    var u = completed.usage();
                    ProviderResult.Usage one = new ProviderResult.Usage(u.inputTokens(), u.outputTokens(), u.totalTokens(),
                            u.inputTokensDetails().textTokens(), u.inputTokensDetails().imageTokens());
                    usage[0] = usage[0] == null ? one : usage[0].plus(one);
                }
            }

            @Override
            public void onComplete(Optional<Throwable> error) {
                if (error.isPresent()) {
                    result.completeExceptionally(classifier.classify(error.get()));
                    return;
                }
                try {
                    if (images.isEmpty()) {
                        throw new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "stream ended without a completed image", 200);
                    }
                    result.complete(toResult(images, Optional.empty(), Optional.ofNullable(usage[0]), request, size));
                } catch (RuntimeException e) {
                    result.completeExceptionally(classifier.classify(e));
                }
            }
        }, context.responses());
    }

    /**
     * The images of a 200 answer, closing it.
     *
     * @throws ProviderFailure   MALFORMED_RESPONSE when the body is not an ImagesResponse with images
     * @throws OpenAIIoException when the body cannot be read (a connection lost mid-body with a
     *                           streaming transport; ours buffers it): a NETWORK or TIMEOUT
     *                           failure like any other I/O error, not a malformed answer
     */
    static ImagesResponseReader.Images readImages(HttpResponse response) {
        byte[] bytes;
        try (response; InputStream body = response.body()) {
            bytes = body.readAllBytes();
        } catch (IOException e) {
            throw new OpenAIIoException("Reading the response body failed", e);
        }
        return ImagesResponseReader.read(bytes);
    }

    /** The result, with its cost in USD ({@link OpenAiSettings#cost}). */
    private ProviderResult toResult(List<byte[]> encoded, Optional<String> resolvedQuality, Optional<ProviderResult.Usage> usage,
                                    ImageRequest request, int[] size) {
        List<GeneratedImage> images = new ArrayList<>();
        String contentType = "image/" + request.outputFormat();
        for (byte[] bytes : encoded) {
            images.add(new GeneratedImage(bytes, contentType));
        }
        Optional<ProviderResult.Cost> cost = settings.cost(usage, resolvedQuality.orElse(request.quality()), size, images.size())
                .map(p -> new ProviderResult.Cost(p, ProviderResult.Cost.USD));
        return new ProviderResult(images, config.model(), Optional.empty(), cost, usage);
    }

    @Override
    public void close() {
        client.close();
    }
}
