package dev.imagerouter.routing;

import dev.imagerouter.provider.leonardov2.LeonardoV2Provider;
import dev.imagerouter.sandbox.SandboxKeys;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderResult;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The money-safety rules of {@link LeonardoJobLifecycleContract} for the v2 adapter (FLUX.2 Pro through
 * {@code POST /api/rest/v2/generations}, polled on v1), plus resuming an accepted v2 job by its generationId.
 */
@MicronautTest
class LeonardoV2JobLifecycleTest extends LeonardoJobLifecycleContract {

    LeonardoV2JobLifecycleTest() {
        super("leonardo-flux-pro-2");
    }

    @Override
    protected int activeJobs() {
        return ((LeonardoV2Provider) leonardo()).activeJobs();
    }

    @Test
    void everyCreateWentToV2() {
        api.generate("{\"prompt\":\"" + prompt("a v2 create") + "\"}");
        assertEquals(1, stats.leonardoV2Creates(), stats.leonardoCreateBodies().toString());
        assertEquals(1, stats.leonardoCreates());
    }

    @Test
    void anAcceptedV2Job_isResumedByItsGenerationId_withoutACreate() throws Exception {
        awaitNoJobs();
        // Given a job accepted by Leonardo v2 before a restart (created here straight on the emulator)
        String prompt = prompt("resumed after a restart");
        ApiClient.Response created = api.post(SandboxKeys.LEONARDO_V2_BASE_PATH + "/generations", "application/json",
                ("{\"model\":\"flux-pro-2.0\",\"public\":false,\"parameters\":{\"prompt\":\"" + prompt
                        + "\",\"width\":1024,\"height\":768,\"quantity\":1}}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "authorization", "Bearer " + SandboxKeys.LEONARDO_API_KEY);
        assertEquals(200, created.status(), created.text());
        @SuppressWarnings("unchecked")
        String id = (String) ((java.util.Map<String, Object>) created.json().get("generate")).get("generationId");
        long creates = stats.leonardoCreates();

        // When the adapter resumes it by that id
        ImageRequest request = new ImageRequest(prompt, Optional.empty(), 1024, 768, 1, "auto", Optional.empty(),
                Optional.empty(), "png", Optional.empty());
        ProviderResult result = leonardo().resume(request, id).orElseThrow().get(10, TimeUnit.SECONDS);

        // Then the job is tracked to its end and its image downloaded; nothing is created
        assertEquals(Optional.of(id), result.generationId());
        assertArrayEquals(new int[]{1024, 768}, RouterTestSupport.imageSize(result.images().get(0).bytes()));
        assertEquals(creates, stats.leonardoCreates(), "a resumed job is never created again");
        assertTrue(stats.leonardoPolls(id) > 0, "it was polled on v1 GET /generations/{id}");
        awaitNoJobs();
    }
}
