package dev.imagerouter.provider.openai;

import com.openai.client.OpenAIClientAsync;
import com.openai.client.OpenAIClientAsyncImpl;
import com.openai.core.ClientOptions;
import com.openai.core.Timeout;
import com.openai.core.http.HttpResponse;
import com.openai.errors.OpenAIIoException;
import com.openai.models.images.ImageGenerateParams;
import dev.imagerouter.provider.GeneratedImage;
import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.provider.ImageRequest;
import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ProviderContext;
import dev.imagerouter.provider.ProviderFailure;
import dev.imagerouter.provider.ProviderResult;
import dev.imagerouter.routing.policy.FailureKind;

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
 * (shared/specs/openai/WIRE.md §1.2): the SDK maps every error status to its exceptions, and a 200
 * body is read by {@link ImagesResponseReader} in one streaming pass. Sizes are mapped to the
 * nearest supported aspect (1024x1024, 1536x1024, 1024x1536) and the router resizes to what the
 * caller asked for.
 * Thread-safe.
 */
public final class OpenAiProvider implements ImageProvider, AutoCloseable {

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
    public OpenAIClientAsync client() {
        return client;
    }

    public OpenAiFailureClassifier classifier() {
        return classifier;
    }

    @Override
    public CompletableFuture<ProviderResult> generate(ImageRequest request) {
        String size = nearestSize(request.width(), request.height());
        ImageGenerateParams.Builder params = ImageGenerateParams.builder()
                .model(config.model())
                .prompt(request.negativePrompt().map(n -> request.prompt() + "\nAvoid: " + n).orElse(request.prompt()))
                .n(request.n())
                .size(ImageGenerateParams.Size.of(size))
                .quality(ImageGenerateParams.Quality.of(request.quality()))
                .outputFormat(ImageGenerateParams.OutputFormat.PNG);
        if (context.sandbox()) {
            params.putAdditionalHeader(ProviderContext.SANDBOX_PROVIDER_HEADER, config.name());
            request.sandboxFaults().ifPresent(f -> params.putAdditionalHeader(ProviderContext.SANDBOX_FAULT_HEADER, f));
        }
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        // The raw response: the SDK still builds and sends the request and turns every non-2xx into
        // its typed exception; the 200 body is read here (ImagesResponseReader), not parsed by the SDK.
        client.images().withRawResponse().generate(params.build()).whenComplete((response, error) -> {
            if (error != null) {
                result.completeExceptionally(classifier.classify(error));
                return;
            }
            ImagesResponseReader.Images images;
            try {
                images = readImages(response);
            } catch (RuntimeException e) {
                result.completeExceptionally(classifier.classify(e));
                return;
            }
            try {
                result.complete(toResult(images, request, size));
            } catch (RuntimeException e) {
                result.completeExceptionally(classifier.classify(e));
            }
        });
        return result;
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

    private ProviderResult toResult(ImagesResponseReader.Images response, ImageRequest request, String size) {
        List<GeneratedImage> images = new ArrayList<>();
        for (byte[] png : response.images()) {
            images.add(new GeneratedImage(png, "image/png"));
        }
        String quality = response.quality().orElse("auto".equals(request.quality()) ? "medium" : request.quality());
        Optional<ProviderResult.Cost> cost = Optional.ofNullable(settings.prices().get(quality + "." + size))
                .map(p -> new ProviderResult.Cost(p.multiply(BigDecimal.valueOf(images.size())), ProviderResult.Cost.USD));
        return new ProviderResult(images, config.model(), Optional.empty(), cost);
    }

    /** The supported size nearest in aspect ratio to {@code width x height}. */
    static String nearestSize(int width, int height) {
        double aspect = (double) width / height;
        String best = OpenAiSettings.SIZES[0];
        double bestDistance = Double.MAX_VALUE;
        for (String size : OpenAiSettings.SIZES) {
            String[] wh = size.split("x");
            double distance = Math.abs(Math.log(aspect) - Math.log(Double.parseDouble(wh[0]) / Double.parseDouble(wh[1])));
            if (distance < bestDistance) {
                bestDistance = distance;
                best = size;
            }
        }
        return best;
    }

    @Override
    public void close() {
        client.close();
    }
}
