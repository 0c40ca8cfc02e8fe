package dev.imagerouter.sandbox;

import com.openai.client.OpenAIClient;
import com.openai.client.OpenAIClientImpl;
import com.openai.core.ClientOptions;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.images.ImageGenCompletedEvent;
import com.openai.models.images.ImageGenPartialImageEvent;
import com.openai.models.images.ImageGenStreamEvent;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImageModel;
import com.openai.models.models.Model;
import dev.imagerouter.provider.openai.NettyHttpTransport;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI emulator as the official openai-java SDK (4.105.0) sees it: streamed generations through
 * {@code client.images().generateStreaming(params)} (GPT-IMAGE-2.md §4) and {@code shutdown_date}
 * through {@code client.models().retrieve(...)} (§6). The client is built as the router's OpenAI
 * provider builds it, on {@link NettyHttpTransport}, over real HTTP.
 */
@MicronautTest
class OpenAiStreamingSdkTest extends EmulatorTest {

    private final ExecutorService callbacks = Executors.newSingleThreadExecutor();
    private OpenAIClient sdk;

    @BeforeEach
    void setUp() {
        reset(SandboxSettings.builder().randomSeed(13L).build());
        sdk = new OpenAIClientImpl(ClientOptions.builder()
                .httpClient(new NettyHttpTransport(Duration.ofSeconds(2), Duration.ofSeconds(30), callbacks))
                .baseUrl(server.getURI() + SandboxKeys.OPENAI_BASE_PATH)
                .apiKey(SandboxKeys.OPENAI_API_KEY)
                .maxRetries(0)
                .build());
    }

    @AfterEach
    void tearDown() {
        sdk.close();
        callbacks.shutdown();
    }

    private static BufferedImage decode(String b64) throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
        if (img == null) {
            throw new AssertionError("not a decodable image");
        }
        return img;
    }

    @Test
    void sdkStreamsPartialImagesThenCompletedEvents_withDecodableImagesAndUsage() throws Exception {
        ImageGenerateParams params = ImageGenerateParams.builder()
                .model(ImageModel.GPT_IMAGE_2)
                .prompt("a sea otter in a kelp forest")
                .size(ImageGenerateParams.Size.of("1536x1024"))
                .quality(ImageGenerateParams.Quality.MEDIUM)
                .outputFormat(ImageGenerateParams.OutputFormat.WEBP)
                .outputCompression(80L)
                .partialImages(2L)
                .safetyIdentifier("user-hash-42")
                .build();

        List<ImageGenStreamEvent> events;
        try (StreamResponse<ImageGenStreamEvent> stream = sdk.images().generateStreaming(params)) {
            events = stream.stream().toList();
        }

        assertEquals(3, events.size(), events.toString());
        for (int i = 0; i < 2; i++) {
            assertTrue(events.get(i).isGenerationPartialImage(), events.get(i).toString());
            ImageGenPartialImageEvent partial = events.get(i).asGenerationPartialImage();
            assertEquals(i, partial.partialImageIndex());
            assertEquals("1536x1024", partial.size().asString());
            assertEquals(1536, decode(partial.b64Json()).getWidth());
        }
        assertTrue(events.get(2).isGenerationCompleted());
        ImageGenCompletedEvent completed = events.get(2).asGenerationCompleted();
        BufferedImage image = decode(completed.b64Json());
        assertEquals(1536, image.getWidth());
        assertEquals(1024, image.getHeight());
        assertEquals("webp", completed.outputFormat().asString());
        assertEquals("user-hash-42", completed.safetyIdentifier().orElseThrow());
        ImageGenCompletedEvent.Usage usage = completed.usage();
        assertEquals(1367 + 2 * 100, usage.outputTokens()); // medium 3:2 plus two partial images (GPT-IMAGE-2.md §5)
        assertEquals(7, usage.inputTokens()); // ⌈28 characters / 4⌉
        assertEquals(usage.inputTokens() + usage.outputTokens(), usage.totalTokens());
        assertEquals(7, usage.inputTokensDetails().textTokens());
        assertEquals(0, usage.inputTokensDetails().imageTokens());
        assertEquals(1, stats.openAiGenerates());
        assertTrue(stats.openAiGenerateBodies().get(0).contains("\"stream\":true"), stats.openAiGenerateBodies().get(0));
    }

    @Test
    void sdkStreamsOneCompletedEventPerImage_whenNIsTwo() throws Exception {
        ImageGenerateParams params = ImageGenerateParams.builder()
                .model("gpt-image-2").prompt("two otters").n(2L).quality(ImageGenerateParams.Quality.LOW).build();

        List<ImageGenStreamEvent> events;
        try (StreamResponse<ImageGenStreamEvent> stream = sdk.images().generateStreaming(params)) {
            events = stream.stream().toList();
        }

        assertEquals(2, events.size());
        assertTrue(events.stream().allMatch(ImageGenStreamEvent::isGenerationCompleted));
        assertEquals(400, events.get(1).asGenerationCompleted().usage().outputTokens()); // the whole request: 2 × 200
    }

    @Test
    void aFaultIsTheSdksTypedException_beforeAnyEvent() {
        ImageGenerateParams params = ImageGenerateParams.builder().model("gpt-image-2").prompt("p")
                .putAdditionalHeader(SandboxKeys.FAULT_HEADER, "openai=429").build();

        RateLimitException e = assertThrows(RateLimitException.class, () -> {
            try (StreamResponse<ImageGenStreamEvent> stream = sdk.images().generateStreaming(params)) {
                stream.stream().toList();
            }
        });
        assertEquals(429, e.statusCode());
    }

    @Test
    void sdkReadsTheAnnouncedShutdownDate() {
        state.configure(true, state.settings().toBuilder()
                .openaiShutdownDates(Map.of("gpt-image-2", LocalDate.parse("2027-01-15"))).build());

        Model announced = sdk.models().retrieve("gpt-image-2");
        Model other = sdk.models().retrieve("gpt-image-2.6-sunburst");

        assertEquals(LocalDate.parse("2027-01-15"), announced.shutdownDate().orElseThrow());
        assertTrue(other.shutdownDate().isEmpty());
    }
}
