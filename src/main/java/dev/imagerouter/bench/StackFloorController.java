package dev.imagerouter.bench;

import com.openai.core.http.HttpResponse;
import com.openai.models.images.ImageGenerateParams;
import dev.imagerouter.config.RouterRuntime;
import dev.imagerouter.provider.openai.OpenAiProvider;
import dev.imagerouter.routing.ProviderHandle;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Named;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmarks only ({@code bench/floor.sh}): the floor that the design's own stack sets under the
 * router's overhead. {@code POST /bench/stack-floor} goes through what every generation must go
 * through and nothing else: Micronaut's HTTP server and its filters (client authentication, the
 * per-client rate, the HTTP server metrics), the OpenAI SDK with the router's transport, and the
 * hand-off to the {@code storage-io} pool that storing an image before the answer needs. It does
 * none of the router's own work: no request parsing or validation, no request hash, cache, chain,
 * policy or circuit breaker, no answer parsing, image check, store or record. The answer is a
 * small JSON object with the upstream's status and body length (smaller than a generation's answer,
 * so if anything the floor it measures is low).
 *
 * <p>Off unless the JVM's system property {@code router.bench.stack-floor=true} is set (no configuration
 * file or environment variable can set it); without it the route does not exist. It uses the first OpenAI provider of the
 * chain. It answers 404 in the OpenAI error shape when the chain has none, and 502 in that shape
 * when the upstream call fails (an error status, a timeout, a refused connection).
 */
@Controller
@Requires(condition = StackFloorController.SystemPropertyOnly.class)
public class StackFloorController {

    /**
     * True only when the JVM was started with {@code -Drouter.bench.stack-floor=true}. Not a Micronaut
     * property: those are also read from environment variables ({@code ROUTER_BENCH_STACK_FLOOR}) and
     * configuration files, and this route pays the provider outside the cache, budgets and cost tracking.
     */
    public static final class SystemPropertyOnly implements io.micronaut.context.condition.Condition {
        @Override
        public boolean matches(io.micronaut.context.condition.ConditionContext context) {
            return "true".equals(System.getProperty(ENABLED));
        }
    }

    /** The system property that turns the route on. */
    public static final String ENABLED = "router.bench.stack-floor";

    private final RouterRuntime runtime;
    private final ExecutorService storageIo;
    private final AtomicLong sequence = new AtomicLong();

    public StackFloorController(RouterRuntime runtime, @Named("storage-io") ExecutorService storageIo) {
        this.runtime = runtime;
        this.storageIo = storageIo;
    }

    /**
     * Sends one fixed generation (1024x1024, low quality, a prompt with a sequence number) through
     * the SDK, reads the upstream's body, and answers {@code {"status":200,"bytes":<body length>}};
     * the request body is ignored.
     */
    @Post(uri = "/bench/stack-floor", produces = MediaType.APPLICATION_JSON)
    @Consumes(MediaType.ALL)
    public CompletableFuture<io.micronaut.http.HttpResponse<String>> relay(@Nullable @Body byte[] body) {
        OpenAiProvider openai = runtime.chain().providers().stream().map(ProviderHandle::provider)
                .filter(OpenAiProvider.class::isInstance).map(OpenAiProvider.class::cast).findFirst().orElse(null);
        if (openai == null) {
            return CompletableFuture.completedFuture(error(HttpStatus.NOT_FOUND, "The chain has no OpenAI provider.",
                    "invalid_request_error", "no_openai_provider"));
        }
        ImageGenerateParams params = ImageGenerateParams.builder()
                .model(openai.model())
                .prompt("stack floor " + sequence.incrementAndGet())
                .n(1)
                .size(ImageGenerateParams.Size._1024X1024)
                .quality(ImageGenerateParams.Quality.LOW)
                .outputFormat(ImageGenerateParams.OutputFormat.PNG)
                .build();
        return openai.client().images().withRawResponse().generate(params)
                .handleAsync((response, error) -> error == null ? relayed(response) : failed(error), storageIo);
    }

    /** An upstream failure (an error status, a timeout, a refused connection): 502 in the OpenAI error shape. */
    private static io.micronaut.http.HttpResponse<String> failed(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        return error(HttpStatus.BAD_GATEWAY, "upstream failed: " + cause.getClass().getSimpleName(), "upstream_error",
                "upstream_failed");
    }

    /** {@code {"error":{"message","type","param","code"}}}; the arguments are constants and class names (nothing to escape). */
    private static io.micronaut.http.HttpResponse<String> error(HttpStatus status, String message, String type, String code) {
        return io.micronaut.http.HttpResponse.<String>status(status)
                .body("{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":\""
                        + code + "\"}}")
                .contentType(MediaType.APPLICATION_JSON_TYPE);
    }

    private static io.micronaut.http.HttpResponse<String> relayed(HttpResponse response) {
        try (response; InputStream in = response.body()) {
            int length = in.readAllBytes().length;
            return io.micronaut.http.HttpResponse.ok("{\"status\":" + response.statusCode() + ",\"bytes\":" + length + "}")
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        } catch (IOException e) {
            return failed(e);
        }
    }
}
