package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Leonardo v2 emulator over real HTTP: a create per shipped model with a body that passes its per-model
 * validation, answered {@code generate.generationId}, polled on v1 and rendered at the requested size; bodies Leonardo
 * refuses (unknown parameters, v1 keys, out-of-range values, a missing {@code public}, an unknown slug); faults by
 * type and instance; the models list; v1 and v2 jobs counted together.
 */
@MicronautTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeonardoV2EmulatorTest extends EmulatorTest {

    static final String V2 = SandboxKeys.LEONARDO_V2_BASE_PATH;
    static final String V1 = SandboxKeys.LEONARDO_BASE_PATH;
    static final String[] AUTH = {"authorization", "Bearer " + SandboxKeys.LEONARDO_API_KEY};

    @jakarta.inject.Inject
    SandboxImages images;

    @BeforeEach
    void setUp() {
        images.setFlat(true); // one-colour PNGs: the sizes matter here, not the pictures
        reset(SandboxSettings.builder().pending(Duration.ofMillis(50), Duration.ofMillis(50)).randomSeed(7L).build());
    }

    @AfterAll
    void pictures() {
        images.setFlat(false);
    }

    static String body(String model, String parameters) {
        return "{\"model\":\"" + model + "\",\"public\":false,\"parameters\":{\"prompt\":\"a koala with a purple hat\"" + parameters + "}}";
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @CsvSource({
            "lucid-origin, 1920, 1080, ',\"mode\":\"ULTRA\",\"seed\":2147483647,\"style_ids\":[\"111dc692-d470-4eec-b791-3475abac4c46\"]'",
            "flux-pro-2.0, 1344, 768, ',\"seed\":4294967295,\"prompt_enhance\":\"OFF\"'",
            "ideogram/ideogram-4.5, 1280, 720, ',\"quality\":\"MEDIUM\",\"prompt_enhance\":\"OFF\"'",
            "nano-banana-2, 1344, 768, ',\"style_ids\":[\"111dc692-d470-4eec-b791-3475abac4c46\"]'",
            "seedream-5.0-pro, 768, 1024, ',\"output_format\":\"png\"'",
            "gpt-image-2, 1376, 768, ',\"quality\":\"HIGH\"'",
            "recraft-v4, 1344, 768, ''",
            "phoenix-v1.0, 1472, 832, ',\"mode\":\"QUALITY\",\"contrast\":\"MEDIUM\",\"negative_prompt\":\"blur\"'"})
    void aValidCreate_isAcceptedPolledOnV1_andRenderedAtItsSize(String model, int width, int height, String extra)
            throws Exception {
        SandboxTestClient.Response created = client.post(V2 + "/generations",
                body(model, ",\"width\":" + width + ",\"height\":" + height + ",\"quantity\":1" + extra), AUTH);

        assertEquals(200, created.status(), created.text());
        JsonNode generate = created.json().get("generate");
        String id = generate.get("generationId").getStringValue();
        assertEquals("8", generate.get("cost").get("amount").getStringValue());
        assertEquals("CREDITS", generate.get("cost").get("unit").getStringValue());
        JsonNode done = LeonardoEmulatorTest.pollUntilDone(client, id);
        assertEquals("COMPLETE", done.get("status").getStringValue());
        assertEquals(LeonardoV2Models.bySlug(model).orElseThrow().id(), done.get("modelId").getStringValue());
        String url = done.get("generated_images").get(0).get("url").getStringValue();
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(client.get(url.substring(url.indexOf("/sandbox/"))).body()));
        assertEquals(width, png.getWidth());
        assertEquals(height, png.getHeight());
        assertEquals(1, stats.leonardoV2Creates());
        assertEquals(1, stats.leonardoCreates(), "a v2 create counts as a Leonardo create");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // an unknown parameter and the v1 keys (UPDATES-2026.md §1.1: they do not exist in v2)
            "flux-pro-2.0 | ,\"mode\":\"FAST\" | $.parameters.mode",
            "flux-pro-2.0 | ,\"num_images\":2 | $.parameters.num_images",
            "lucid-origin | ,\"alchemy\":true | $.parameters.alchemy",
            "gpt-image-2 | ,\"seed\":1 | $.parameters.seed",
            // out of range or not in the model's enum / list
            "flux-pro-2.0 | ,\"width\":1536,\"height\":1024 | $.parameters.width",
            "flux-pro-2.0 | ,\"width\":1000,\"height\":1000 | $.parameters.width",
            "lucid-origin | ,\"mode\":\"QUALITY\" | $.parameters.mode",
            "lucid-origin | ,\"seed\":2147483648 | $.parameters.seed",
            "gpt-image-2 | ,\"width\":1344,\"height\":768 | $.parameters.width",
            "ideogram/ideogram-4.5 | ,\"quality\":\"TURBO\" | $.parameters.quality",
            "seedream-5.0-pro | ,\"quantity\":7 | $.parameters.quantity",
            "lucid-origin | ,\"style_ids\":[\"111dc692-d470-4eec-b791-3475abac4c46\",\"a5632c7c-ddbb-4e2f-ba34-8456ab3ac436\"] | $.parameters.style_ids",
            "recraft-v4 | ,\"quantity\":1 | $.parameters.width"})
    void aBodyTheModelDoesNotTake_isRefused_andCreatesNothing(String model, String parameters, String path) throws Exception {
        SandboxTestClient.Response r = client.post(V2 + "/generations", body(model, parameters), AUTH);

        assertEquals(400, r.status(), r.text());
        assertEquals("VALIDATION_ERROR", r.json().get("code").getStringValue(), r.text());
        assertEquals(path, r.json().get("path").getStringValue(), r.text());
        assertEquals(0, stats.leonardoCreatesAccepted());
    }

    @Test
    void aMissingPublic_anUnknownSlug_andAV1Body_areRefused() throws Exception {
        SandboxTestClient.Response noPublic = client.post(V2 + "/generations",
                "{\"model\":\"flux-pro-2.0\",\"parameters\":{\"prompt\":\"a cat\"}}", AUTH);
        assertEquals(400, noPublic.status(), noPublic.text());
        assertEquals("$.public", noPublic.json().get("path").getStringValue());

        SandboxTestClient.Response unknown = client.post(V2 + "/generations", body("flux-2-dev", ""), AUTH);
        assertEquals(400, unknown.status(), unknown.text());
        assertTrue(unknown.text().contains("is not supported within the Production API"), unknown.text());

        SandboxTestClient.Response v1Body = client.post(V2 + "/generations", LeonardoEmulatorTest.phoenix(1024, 768, 1), AUTH);
        assertEquals(400, v1Body.status(), v1Body.text());

        SandboxTestClient.Response noAuth = client.post(V2 + "/generations", body("flux-pro-2.0", ""));
        assertEquals(401, noAuth.status(), noAuth.text());
        assertEquals(0, stats.leonardoCreatesAccepted());
        assertEquals(4, stats.leonardoV2Creates(), "every call is counted, whatever the answer");
    }

    @Test
    void faults_targetV2CallsByType_andByInstance() throws Exception {
        String flux = body("flux-pro-2.0", "");
        assertEquals(429, client.post(V2 + "/generations", flux, header(AUTH, "X-Sandbox-Fault", "leonardo-v2=429")).status());
        assertEquals(500, client.post(V2 + "/generations", flux, header(AUTH, "X-Sandbox-Fault", "leonardo=500")).status());
        assertEquals(503, client.post(V2 + "/generations", flux,
                header(AUTH, "X-Sandbox-Fault", "leonardo-flux-pro-2=503", "X-Sandbox-Provider", "leonardo-flux-pro-2")).status());
        // a rule for another instance, or one for v2 only, leaves the call alone
        assertEquals(200, client.post(V2 + "/generations", flux,
                header(AUTH, "X-Sandbox-Fault", "leonardo-phoenix=429", "X-Sandbox-Provider", "leonardo-flux-pro-2")).status());
        assertEquals(200, client.post(V1 + "/generations", LeonardoEmulatorTest.phoenix(1024, 768, 1),
                header(AUTH, "X-Sandbox-Fault", "leonardo-v2=429")).status());
        // a fault that marks the job shows on its v1 polls
        SandboxTestClient.Response failed = client.post(V2 + "/generations", flux, header(AUTH, "X-Sandbox-Fault", "leonardo-v2=failed"));
        assertEquals(200, failed.status(), failed.text());
        String id = failed.json().get("generate").get("generationId").getStringValue();
        assertEquals("FAILED", LeonardoEmulatorTest.pollUntilDone(client, id).get("status").getStringValue());
    }

    @Test
    void theModelsList_carriesIdsAndNames_notSlugs_lessTheUnlistedOnes() throws Exception {
        SandboxTestClient.Response all = client.get(V2 + "/models", AUTH);
        assertEquals(200, all.status(), all.text());
        List<String> names = names(all);
        assertTrue(names.containsAll(List.of("FLUX.2 Pro", "Lucid Origin", "GPT Image 2", "Nano Banana 2")), names.toString());
        assertFalse(all.text().contains("flux-pro-2.0"), "the list has no slugs: " + all.text());
        JsonNode lucid = entry(all, "Lucid Origin");
        assertEquals("7b592283-e8a7-4c5a-9ba6-d18c31f258b9", lucid.get("id").getStringValue());
        assertFalse(lucid.get("parameters").get("additionalProperties").getBooleanValue());

        reset(state.settings().toBuilder().leonardoUnlistedModels(Set.of("FLUX.2 Pro")).build());
        List<String> fewer = names(client.get(V2 + "/models", AUTH));
        assertFalse(fewer.contains("FLUX.2 Pro"), fewer.toString());
        assertEquals(names.size() - 1, fewer.size());
        assertEquals(200, client.post(V2 + "/generations", body("flux-pro-2.0", ""), AUTH).status(), "still served");

        assertEquals(500, client.get(V2 + "/models", header(AUTH, "X-Sandbox-Fault", "leonardo-flux-pro-2.models=500",
                "X-Sandbox-Provider", "leonardo-flux-pro-2.models")).status());
        assertEquals(2, stats.leonardoV2ModelLists());
    }

    @Test
    void v1AndV2Jobs_shareTheAccountsProcessingSlots_andAreCountedTogether() throws Exception {
        reset(SandboxSettings.builder().pending(Duration.ofMillis(300), Duration.ofMillis(300)).leonardoConcurrentJobs(1, 200).build());
        assertEquals(200, client.post(V1 + "/generations", LeonardoEmulatorTest.phoenix(1024, 768, 1), AUTH).status());
        assertEquals(200, client.post(V2 + "/generations", body("flux-pro-2.0", ""), AUTH).status());

        assertEquals(2, stats.leonardoMaxConcurrentJobs(), "both PENDING at once");
        assertEquals(1, stats.leonardoMaxProcessingJobs(), "one slot: the v2 job waits for the v1 job's");
    }

    private static String[] header(String[] base, String... more) {
        List<String> all = new ArrayList<>(List.of(base));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static List<String> names(SandboxTestClient.Response r) {
        List<String> names = new ArrayList<>();
        r.json().get("productionApiAvailableModels").values().forEach(m -> names.add(m.get("name").getStringValue()));
        return names;
    }

    private static JsonNode entry(SandboxTestClient.Response r, String name) {
        for (JsonNode m : r.json().get("productionApiAvailableModels").values()) {
            if (name.equals(m.get("name").getStringValue())) {
                return m;
            }
        }
        throw new AssertionError(name + " not listed: " + r.text());
    }
}
