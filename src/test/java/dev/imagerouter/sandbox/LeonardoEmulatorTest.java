package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Leonardo emulator over real HTTP: happy path, validation, auth, balance. */
@MicronautTest
class LeonardoEmulatorTest extends EmulatorTest {

    static final String BASE = SandboxKeys.LEONARDO_BASE_PATH;
    static final String PHOENIX = "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3";
    static final String[] AUTH = {"authorization", "Bearer " + SandboxKeys.LEONARDO_API_KEY};

    @BeforeEach
    void setUp() {
        reset(SandboxSettings.builder().pending(Duration.ofMillis(50), Duration.ofMillis(50)).randomSeed(42L).build());
    }

    static String phoenix(int width, int height, int numImages) {
        return "{\"modelId\":\"" + PHOENIX + "\",\"contrast\":3.5,\"prompt\":\"an orange cat on a blue ball\",\"num_images\":"
                + numImages + ",\"width\":" + width + ",\"height\":" + height
                + ",\"alchemy\":true,\"styleUUID\":\"111dc692-d470-4eec-b791-3475abac4c46\",\"enhancePrompt\":false}";
    }

    /** Polls until the status leaves PENDING (each poll must answer 200); fails after 10 s. */
    static JsonNode pollUntilDone(SandboxTestClient client, String id) {
        return await("generation " + id + " leaves PENDING").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    SandboxTestClient.Response r = client.get(BASE + "/generations/" + id, AUTH);
                    assertEquals(200, r.status(), r.text());
                    return r.json().get("generations_by_pk");
                }, g -> !"PENDING".equals(g.get("status").getStringValue()));
    }

    @Test
    void createThenPending_thenComplete_thenCdnServesPngOfRequestedSize() throws Exception {
        // Given the Phoenix request of the docs (WIRE §2.4), 2 images of 512x768
        SandboxTestClient.Response created = client.post(BASE + "/generations", phoenix(512, 768, 2), AUTH);

        // Then the create answer has the WIRE §2.3 shape
        assertEquals(200, created.status(), created.text());
        assertEquals("application/json; charset=utf-8", created.header("content-type").orElseThrow());
        JsonNode job = created.json().get("sdGenerationJob");
        String id = job.get("generationId").getStringValue();
        assertTrue(id.matches("[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}"), id);
        assertEquals("{\"sdGenerationJob\":{\"generationId\":\"" + id + "\",\"apiCreditCost\":16,\"cost\":{\"amount\":\"16\",\"unit\":\"CREDITS\"}}}",
                created.text());

        // And the first poll is PENDING with no images and no seed
        JsonNode pending = client.get(BASE + "/generations/" + id, AUTH).json().get("generations_by_pk");
        assertEquals("PENDING", pending.get("status").getStringValue());
        assertEquals(0, pending.get("generated_images").size());
        assertTrue(pending.get("seed").isNull());

        // When the pending phase is over
        JsonNode done = pollUntilDone(client, id);

        // Then the generation is COMPLETE with the OBS-3 fields
        assertEquals("COMPLETE", done.get("status").getStringValue());
        assertEquals(PHOENIX, done.get("modelId").getStringValue());
        assertEquals("PHOENIX", done.get("sdVersion").getStringValue());
        assertEquals(512, done.get("imageWidth").getIntValue());
        assertEquals(768, done.get("imageHeight").getIntValue());
        assertEquals("", done.get("negativePrompt").getStringValue());
        assertEquals(LeonardoJobs.seedFor("an orange cat on a blue ball"), done.get("seed").getLongValue());
        assertTrue(done.get("createdAt").getStringValue().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}"));
        assertEquals(2, done.get("generated_images").size());
        JsonNode image = done.get("generated_images").get(0);
        List<String> keys = new ArrayList<>();
        image.entries().forEach(e -> keys.add(e.getKey()));
        assertEquals(List.of("url", "nsfw", "id", "likeCount", "motionMP4URL", "generated_image_variation_generics"), keys);
        String url = image.get("url").getStringValue();
        assertEquals(client.url(SandboxKeys.LEONARDO_CDN_PATH + "/" + id + "/0.png").replace("127.0.0.1", "localhost"),
                url.replace("127.0.0.1", "localhost"));

        // And the CDN serves a PNG of the requested size
        SandboxTestClient.Response png = client.get(SandboxKeys.LEONARDO_CDN_PATH + "/" + id + "/1.png");
        assertEquals(200, png.status());
        assertEquals("image/png", png.header("content-type").orElseThrow());
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png.body()));
        assertEquals(512, img.getWidth());
        assertEquals(768, img.getHeight());
        assertEquals(404, client.get(SandboxKeys.LEONARDO_CDN_PATH + "/" + id + "/2.png").status());

        // And the stats saw it all
        assertEquals(1, stats.leonardoCreates());
        assertEquals(1, stats.leonardoCreatesAccepted());
        assertTrue(stats.leonardoPolls(id) >= 2);
        assertEquals(2, stats.leonardoCdnFetches());
        assertTrue(stats.leonardoCreateBodies().get(0).contains("\"modelId\":\"" + PHOENIX + "\""));
        assertEquals(1, stats.createTimestamps(EmulatorType.LEONARDO).size());
    }

    @Test
    void requestSeedIsEchoedAsALongAndDefaultsApply() throws Exception {
        String id = client.post(BASE + "/generations", "{\"prompt\":\"seeded\",\"seed\":9999999998}", AUTH)
                .json().get("sdGenerationJob").get("generationId").getStringValue();

        JsonNode done = pollUntilDone(client, id);

        assertEquals(9_999_999_998L, done.get("seed").getLongValue());
        assertEquals(4, done.get("generated_images").size()); // num_images defaults to 4 (WIRE §2.1)
        assertEquals("EULER_DISCRETE", done.get("scheduler").getStringValue());
        assertEquals(7, done.get("guidanceScale").getIntValue());
        assertEquals(15, done.get("inferenceSteps").getIntValue());
        assertTrue(done.get("modelId").isNull());
    }

    @Test
    void unknownGenerationIdIsNullNot404() throws Exception {
        SandboxTestClient.Response r = client.get(BASE + "/generations/0b9f7f5e-1111-4222-8333-444455556666", AUTH);

        assertEquals(200, r.status());
        assertEquals("{\"generations_by_pk\":null}", r.text());
    }

    @Test
    void validationErrorsUseTheWireBodies() throws Exception {
        assertError(400, "{\"error\":\"Unexpected variable sd_Version\",\"path\":\"$\",\"code\":\"bad-request\"}",
                "{\"prompt\":\"x\",\"sd_Version\":\"v2\"}");
        assertError(400, "{\"error\":\"expected a boolean for type 'Boolean', but found a string\","
                + "\"path\":\"$.selectionSet.sdGenerationJob.args.arg1.photoReal\",\"code\":\"validation-failed\"}",
                "{\"prompt\":\"x\",\"photoReal\":\"true\"}");
        assertError(400, "{\"error\":\"expecting a value for non-nullable variable: \\\"prompt\\\"\",\"path\":\"$\",\"code\":\"validation-failed\"}",
                "{\"width\":512}");
        assertError(400, "{\"error\":\"expecting a value for non-nullable variable: \\\"prompt\\\"\",\"path\":\"$\",\"code\":\"validation-failed\"}",
                "not json");
        assertError(400, "{\"error\":\"expecting a value for non-nullable variable: \\\"prompt\\\"\",\"path\":\"$\",\"code\":\"validation-failed\"}",
                "");
        assertError(400, "{\"error\":\"Invalid prompt, maximum length of 1500 characters exceeded.\",\"path\":\"$\",\"code\":\"unexpected\"}",
                "{\"prompt\":\"" + "a".repeat(1501) + "\"}");
        assertError(400, "{\"error\":\"invalid dimensions\",\"path\":\"$\",\"code\":\"unexpected\"}", "{\"prompt\":\"x\",\"width\":1001}");
        assertError(400, "{\"error\":\"invalid dimensions\",\"path\":\"$\",\"code\":\"unexpected\"}", "{\"prompt\":\"x\",\"height\":2056}");
        assertError(400, "{\"error\":\"Too many images\",\"path\":\"$\",\"code\":\"unexpected\"}", phoenix(1024, 768, 5));
        assertError(400, "{\"error\":\"Too many images\",\"path\":\"$\",\"code\":\"unexpected\"}", phoenix(512, 512, 9));
        assertEquals(200, client.post(BASE + "/generations", phoenix(512, 512, 8), AUTH).status());
        assertEquals(200, client.post(BASE + "/generations", phoenix(2048, 2048, 4), AUTH).status());

        SandboxTestClient.Response style = client.post(BASE + "/generations", "{\"prompt\":\"x\",\"presetStyle\":\"PASTEL\"}", AUTH);
        assertEquals(400, style.status());
        assertEquals("validation-failed", style.json().get("code").getStringValue());
        assertEquals("$.selectionSet.sdGenerationJob.args.arg1.presetStyle", style.json().get("path").getStringValue());
        assertEquals(400, client.post(BASE + "/generations", "{\"prompt\":\"x\",\"contrast\":2.0}", AUTH).status());
        assertEquals(400, client.post(BASE + "/generations", "{\"prompt\":\"x\",\"seed\":1.5}", AUTH).status());
        assertEquals(400, client.post(BASE + "/generations", "{\"prompt\":\"x\",\"num_images\":\"2\"}", AUTH).status());
        assertEquals(200, client.post(BASE + "/generations", "{\"prompt\":\"x\",\"negative_prompt\":null,\"contextImages\":[]}", AUTH).status());
    }

    private void assertError(int status, String body, String request) throws Exception {
        SandboxTestClient.Response r = client.post(BASE + "/generations", request, AUTH);
        assertEquals(status, r.status(), r.text());
        assertEquals(body, r.text());
        assertEquals("application/json; charset=utf-8", r.header("content-type").orElseThrow());
    }

    @Test
    void authFailuresFollowTheHasuraHook() throws Exception {
        String body = phoenix(512, 512, 1);
        String unauthorized = "{\"error\":\"Authentication hook unauthorized this request\",\"path\":\"$\",\"code\":\"access-denied\"}";
        String malformed = "{\"error\":\"Invalid response from authorization hook\",\"path\":\"$\",\"code\":\"unexpected\"}";

        SandboxTestClient.Response missing = client.post(BASE + "/generations", body);
        SandboxTestClient.Response unknown = client.post(BASE + "/generations", body, "authorization", "Bearer 0b9f7f5e-1111-4222-8333-444455556666");
        SandboxTestClient.Response notUuid = client.post(BASE + "/generations", body, "authorization", "Bearer sk-not-a-uuid");
        SandboxTestClient.Response me = client.get(BASE + "/me");

        assertEquals(401, missing.status());
        assertEquals(unauthorized, missing.text());
        assertEquals(401, unknown.status());
        assertEquals(unauthorized, unknown.text());
        assertEquals(500, notUuid.status());
        assertEquals(malformed, notUuid.text());
        assertEquals(401, me.status());
        assertEquals(0, stats.leonardoCreatesAccepted());
    }

    @Test
    void extraKeysFromSettingsAreAccepted() throws Exception {
        String extra = "0b9f7f5e-1111-4222-8333-444455556666";
        state.configure(true, state.settings().toBuilder().leonardoApiKeys(Set.of(extra)).build());

        assertEquals(200, client.post(BASE + "/generations", phoenix(512, 512, 1), "authorization", "Bearer " + extra).status());
    }

    @Test
    void meReportsTheBalance_andEachCreateSubtractsItsCost() throws Exception {
        JsonNode before = client.get(BASE + "/me", AUTH).json().get("user_details").get(0);
        assertEquals(SandboxKeys.LEONARDO_USER_ID, before.get("user").get("id").getStringValue());
        assertEquals(0, new BigDecimal("10000").compareTo(before.get("apiSubscriptionTokens").getBigDecimalValue()));
        assertEquals(0, before.get("apiPaidTokens").getIntValue());

        client.post(BASE + "/generations", phoenix(1472, 832, 4), AUTH); // 4 images × 8 credits

        JsonNode after = client.get(BASE + "/me", AUTH).json().get("user_details").get(0);
        assertEquals("9968", after.get("apiSubscriptionTokens").getValue().toString());
        assertEquals(new BigDecimal("9968"), state.leonardoBalance());
        assertEquals(2, stats.leonardoMeCalls());
    }

    @Test
    void emptyBalanceRefusesCreates_theLastJobMayDriveItNegative() throws Exception {
        String notEnough = "{\"error\":\"not enough api tokens userId: " + SandboxKeys.LEONARDO_USER_ID + "\",\"path\":\"$\",\"code\":\"unexpected\"}";
        state.setLeonardoBalance(BigDecimal.ZERO);

        SandboxTestClient.Response refused = client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH);
        assertEquals(400, refused.status());
        assertEquals(notEnough, refused.text());

        state.setLeonardoBalance(new BigDecimal("5"));
        assertEquals(200, client.post(BASE + "/generations", phoenix(512, 512, 4), AUTH).status());
        assertEquals(new BigDecimal("-27"), state.leonardoBalance());
        assertEquals(400, client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH).status());
    }

    @Test
    void disabledSandboxAnswers404Everywhere_untilItIsEnabledAgain() throws Exception {
        String notFound = "{\"error\":\"Endpoint not found\",\"path\":\"$\",\"code\":\"not-found\"}";
        String id = client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH).json().get("sdGenerationJob").get("generationId").getStringValue();
        assertEquals("COMPLETE", pollUntilDone(client, id).get("status").getStringValue());
        String job = BASE + "/generations/" + id;
        String image = SandboxKeys.LEONARDO_CDN_PATH + "/" + id + "/0.png";

        // Given every endpoint answers while the sandbox is on
        assertEquals(200, client.get(job, AUTH).status());
        assertEquals(200, client.get(BASE + "/me", AUTH).status());
        assertEquals(200, client.get(image).status());
        BigDecimal balance = state.leonardoBalance();

        // When it is switched off, every endpoint answers Leonardo's not-found envelope, and a create changes nothing
        state.setEnabled(false);
        List<SandboxTestClient.Response> off = List.of(
                client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH),
                client.get(job, AUTH),
                client.get(BASE + "/me", AUTH),
                client.get(image));
        for (SandboxTestClient.Response r : off) {
            assertEquals(404, r.status(), r.text());
            assertEquals(notFound, r.text());
            assertEquals("application/json; charset=utf-8", r.header("content-type").orElseThrow());
        }
        assertEquals(1, stats.leonardoCreatesAccepted());
        assertEquals(balance, state.leonardoBalance());

        // And when it is switched on again, the same job answers as before
        state.setEnabled(true);
        SandboxTestClient.Response again = client.get(job, AUTH);
        assertEquals(200, again.status(), again.text());
        assertEquals(id, again.json().get("generations_by_pk").get("id").getStringValue());
        assertEquals("COMPLETE", again.json().get("generations_by_pk").get("status").getStringValue());
        assertEquals(200, client.get(image).status());
    }
}
