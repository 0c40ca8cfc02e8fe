package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI emulator over real HTTP, speaking gpt-image-2 (GPT-IMAGE-2.md): happy path, validation, auth, models, streaming. */
@MicronautTest
class OpenAiEmulatorTest extends EmulatorTest {

    static final String GENERATIONS = SandboxKeys.OPENAI_BASE_PATH + "/images/generations";
    static final String[] AUTH = {"Authorization", "Bearer " + SandboxKeys.OPENAI_API_KEY};

    @BeforeEach
    void setUp() {
        reset(SandboxSettings.builder().randomSeed(11L).build());
    }

    static BufferedImage decode(JsonNode item) throws Exception {
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(item.get("b64_json").getStringValue())));
    }

    @Test
    void generatesDecodablePngsOfTheResolvedSize_withUsageAndHeaders() throws Exception {
        // Given the body the Java SDK sends (GPT-IMAGE-2.md §1), asking for two landscape images
        String body = "{\"prompt\":\"a lighthouse at dusk\",\"background\":\"opaque\",\"model\":\"gpt-image-2\",\"moderation\":\"auto\","
                + "\"n\":2,\"output_format\":\"png\",\"quality\":\"low\",\"size\":\"1536x1024\"}";

        SandboxTestClient.Response r = client.post(GENERATIONS, body, AUTH);

        // Then: 200 ImagesResponse with exactly the §3 keys
        assertEquals(200, r.status(), r.text());
        assertEquals("application/json", r.header("content-type").orElseThrow());
        JsonNode json = r.json();
        List<String> keys = new ArrayList<>();
        json.entries().forEach(e -> keys.add(e.getKey()));
        assertEquals(List.of("created", "background", "output_format", "quality", "size", "data", "usage"), keys);
        assertTrue(Math.abs(json.get("created").getLongValue() - System.currentTimeMillis() / 1000) < 60);
        assertEquals(2, json.get("data").size());
        assertEquals(1, json.get("data").get(0).size()); // only b64_json
        BufferedImage img = decode(json.get("data").get(1));
        assertEquals(1536, img.getWidth());
        assertEquals(1024, img.getHeight());
        assertEquals("opaque", json.get("background").getStringValue());
        assertEquals("png", json.get("output_format").getStringValue());
        assertEquals("1536x1024", json.get("size").getStringValue());
        assertEquals("low", json.get("quality").getStringValue());
        JsonNode usage = json.get("usage");
        List<String> usageKeys = new ArrayList<>();
        usage.entries().forEach(e -> usageKeys.add(e.getKey()));
        assertEquals(List.of("input_tokens", "output_tokens", "total_tokens", "input_tokens_details"), usageKeys);
        assertEquals(334, usage.get("output_tokens").getIntValue()); // 2 × 167, low 3:2 (GPT-IMAGE-2.md §5)
        assertEquals(5, usage.get("input_tokens").getIntValue()); // ⌈20 characters / 4⌉
        assertEquals(339, usage.get("total_tokens").getIntValue());
        assertEquals(5, usage.get("input_tokens_details").get("text_tokens").getIntValue());
        assertEquals(0, usage.get("input_tokens_details").get("image_tokens").getIntValue());

        // And the debugging headers of §2.3
        assertTrue(r.header("x-request-id").orElseThrow().matches("req_[0-9a-f]{32}"));
        assertTrue(r.header("openai-processing-ms").orElseThrow().matches("\\d+"));
        assertEquals("2020-10-01", r.header("openai-version").orElseThrow());
        assertEquals("org-sandbox", r.header("openai-organization").orElseThrow());
        assertEquals(1, stats.openAiGenerates());
        assertEquals(List.of("gpt-image-2"), stats.openAiModels());
        assertEquals(body, stats.openAiGenerateBodies().get(0));
    }

    @Test
    void autoResolvesToSquareMediumOpaque() throws Exception {
        JsonNode json = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"size\":\"auto\",\"quality\":\"auto\"}", AUTH).json();

        assertEquals("1024x1024", json.get("size").getStringValue());
        assertEquals("medium", json.get("quality").getStringValue());
        assertEquals("opaque", json.get("background").getStringValue());
        assertEquals(1767, json.get("usage").get("output_tokens").getIntValue()); // medium square (§5)
        assertEquals(1024, decode(json.get("data").get(0)).getWidth());
    }

    @Test
    void jpegOutputIsAJpeg() throws Exception {
        JsonNode json = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"size\":\"1024x1536\","
                + "\"output_format\":\"jpeg\",\"output_compression\":60}", AUTH).json();

        byte[] bytes = Base64.getDecoder().decode(json.get("data").get(0).get("b64_json").getStringValue());
        assertEquals((byte) 0xFF, bytes[0]);
        assertEquals(1536, ImageIO.read(new ByteArrayInputStream(bytes)).getHeight());
    }

    @Test
    void responseFormatIsAnUnknownParameter() throws Exception {
        SandboxTestClient.Response r = client.post(GENERATIONS,
                "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"response_format\":\"b64_json\"}", AUTH);

        assertEquals(400, r.status());
        assertEquals("{\"error\":{\"message\":\"Unknown parameter: 'response_format'.\",\"type\":\"invalid_request_error\","
                + "\"param\":\"response_format\",\"code\":\"unknown_parameter\"}}", r.text());
        assertTrue(r.header("x-request-id").isPresent());
    }

    @Test
    void validationFollowsTheSpec() throws Exception {
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"foo\":1}", "foo", "unknown_parameter");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"style\":\"vivid\"}", "style", "unknown_parameter");
        assertInvalid("{\"model\":\"gpt-image-2\"}", "prompt", "missing_required_parameter");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"" + "x".repeat(32_001) + "\"}", "prompt", "string_above_max_length");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"n\":11}", "n", "integer_above_max_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"n\":0}", "n", "integer_below_min_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"n\":\"2\"}", "n", "invalid_type");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"quality\":\"hd\"}", "quality", "invalid_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"background\":\"clear\"}", "background", "invalid_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"output_format\":\"gif\"}", "output_format", "invalid_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"output_compression\":101}", "output_compression", "integer_above_max_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"moderation\":\"high\"}", "moderation", "invalid_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"stream\":\"yes\"}", "stream", "invalid_type");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"partial_images\":4}", "partial_images", "integer_above_max_value");
        assertInvalid("{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"safety_identifier\":7}", "safety_identifier", "invalid_type");
        assertEquals(400, client.post(GENERATIONS, "[1,2]", AUTH).status());
    }

    private void assertInvalid(String body, String param, String code) throws Exception {
        SandboxTestClient.Response r = client.post(GENERATIONS, body, AUTH);
        assertEquals(400, r.status(), r.text());
        JsonNode error = r.json().get("error");
        assertEquals("invalid_request_error", error.get("type").getStringValue());
        assertEquals(param, error.get("param").getStringValue());
        assertEquals(code, error.get("code").getStringValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-image-1", "gpt-image-1.5", "gpt-image-1.5-2025-12-16", "gpt-image-1-mini", "chatgpt-image-latest",
            "dall-e-2", "dall-e-3", "gpt-image-9"})
    void shutDownAndUnknownModels_are404ModelNotFound_onGenerationAndLookup(String model) throws Exception {
        SandboxTestClient.Response gen = client.post(GENERATIONS, "{\"model\":\"" + model + "\",\"prompt\":\"p\"}", AUTH);
        SandboxTestClient.Response lookup = client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/" + model, AUTH);

        String notFound = "{\"error\":{\"message\":\"The model `" + model + "` does not exist or you do not have access to it.\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}";
        assertEquals(404, gen.status());
        assertEquals(notFound, gen.text());
        assertEquals(404, lookup.status());
        assertEquals(notFound, lookup.text());
    }

    @Test
    void modelOmitted_isDallE2_andRetired() throws Exception {
        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"prompt\":\"p\"}", AUTH);

        assertEquals(404, r.status());
        assertEquals("model_not_found", r.json().get("error").get("code").getStringValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2.5-sunburst", "gpt-image-2.5-flare",
            "gpt-image-2.6-sunburst", "gpt-image-2.6-flare"})
    void servedModels_haveAModelObject_withoutShutdownDate(String model) throws Exception {
        SandboxTestClient.Response r = client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/" + model, AUTH);

        assertEquals(200, r.status(), r.text());
        List<String> keys = new ArrayList<>();
        r.json().entries().forEach(e -> keys.add(e.getKey()));
        assertEquals(List.of("id", "object", "created", "owned_by", "shutdown_date"), keys);
        assertEquals(model, r.json().get("id").getStringValue());
        assertTrue(r.json().get("shutdown_date").isNull());
    }

    @Test
    void announcedShutdownDate_isInTheModelObject_andTheModelIsStillServed() throws Exception {
        state.configure(true, state.settings().toBuilder()
                .openaiShutdownDates(SandboxSettings.parseShutdownDates("gpt-image-2=2027-01-15, gpt-image-2.5-flare=2027-03-01"))
                .build());

        SandboxTestClient.Response lookup = client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/gpt-image-2", AUTH);
        SandboxTestClient.Response other = client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/gpt-image-2-2026-04-21", AUTH);
        SandboxTestClient.Response gen = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"quality\":\"low\"}", AUTH);

        assertEquals("{\"id\":\"gpt-image-2\",\"object\":\"model\",\"created\":1776729600,\"owned_by\":\"system\","
                + "\"shutdown_date\":\"2027-01-15\"}", lookup.text());
        assertTrue(other.json().get("shutdown_date").isNull());
        assertEquals(200, gen.status(), gen.text());
        assertEquals(2, stats.openAiModelLookups());
    }

    @Test
    void shutdownDatesSetting_rejectsWhatDoesNotParse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SandboxSettings.parseShutdownDates("gpt-image-2=15.01.2027"));
        assertTrue(e.getMessage().contains("router.sandbox.openai-shutdown-dates"), e.getMessage());
        assertTrue(e.getMessage().contains("gpt-image-2=15.01.2027"), e.getMessage());
        assertEquals(java.util.Map.of(), SandboxSettings.parseShutdownDates(""));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "1792x936  | Width and height must both be divisible by 16.",
            "9:16      | Expected WIDTHxHEIGHT, for example '1824x1024'.",
            "1024      | Expected WIDTHxHEIGHT, for example '1824x1024'.",
            "256x256   | The total number of pixels must be between 655360 and 8294400.",
            "1008x640  | The total number of pixels must be between 655360 and 8294400.",
            "2896x2896 | The total number of pixels must be between 655360 and 8294400.",
            "4096x1024 | Width and height must both be at most 3840.",
            "3840x1264 | The ratio between the long and the short edge must be at most 3:1.",
            "1024x3088 | The ratio between the long and the short edge must be at most 3:1.",
    })
    void sizeRulesOfGptImage2_areEnforced(String size, String why) throws Exception {
        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"size\":\"" + size + "\"}", AUTH);

        assertEquals(400, r.status(), r.text());
        assertEquals("{\"error\":{\"message\":\"Invalid size '" + size + "'. " + why + "\",\"type\":\"image_generation_user_error\","
                + "\"param\":\"size\",\"code\":\"invalid_value\"}}", r.text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1024x640", "2880x2880", "3840x1280", "1280x3840", "3840x2160", "2160x3840", "2048x1152", "1536x864"})
    void sizesAtTheEdgesOfTheRules_areAccepted(String size) {
        int[] wh = OpenAiValidator.checkSize(size);
        assertEquals(size, wh[0] + "x" + wh[1]);
    }

    @Test
    void anAllowedSizeOutsideTheOldThree_isRenderedAtThatSize_andPricedAsNonSquare() throws Exception {
        JsonNode json = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"size\":\"1024x640\","
                + "\"quality\":\"high\"}", AUTH).json();

        assertEquals("1024x640", json.get("size").getStringValue());
        BufferedImage img = decode(json.get("data").get(0));
        assertEquals(1024, img.getWidth());
        assertEquals(640, img.getHeight());
        assertEquals(5500, json.get("usage").get("output_tokens").getIntValue());
    }

    @Test
    void webpOutputIsAWebp_ofTheRequestedSize_andCompressionShrinksIt() throws Exception {
        String body = "{\"model\":\"gpt-image-2\",\"prompt\":\"a webp\",\"size\":\"1536x864\",\"output_format\":\"webp\","
                + "\"output_compression\":";
        JsonNode fine = client.post(GENERATIONS, body + "95}", AUTH).json();
        JsonNode coarse = client.post(GENERATIONS, body + "10}", AUTH).json();

        byte[] bytes = Base64.getDecoder().decode(fine.get("data").get(0).get("b64_json").getStringValue());
        assertEquals("RIFF", new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("WEBP", new String(bytes, 8, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("webp", fine.get("output_format").getStringValue());
        BufferedImage img = decode(fine.get("data").get(0));
        assertEquals(1536, img.getWidth());
        assertEquals(864, img.getHeight());
        int coarseLength = Base64.getDecoder().decode(coarse.get("data").get(0).get("b64_json").getStringValue()).length;
        assertTrue(coarseLength < bytes.length, coarseLength + " >= " + bytes.length);
    }

    @Test
    void safetyIdentifier_isEchoed_andWinsOverUserWhenNotEmpty() throws Exception {
        String base = "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"quality\":\"low\"";

        JsonNode both = client.post(GENERATIONS, base + ",\"safety_identifier\":\"hash-1\",\"user\":\"u-1\"}", AUTH).json();
        JsonNode userOnly = client.post(GENERATIONS, base + ",\"user\":\"u-1\"}", AUTH).json();
        JsonNode emptyId = client.post(GENERATIONS, base + ",\"safety_identifier\":\"\",\"user\":\"u-2\"}", AUTH).json();
        JsonNode none = client.post(GENERATIONS, base + "}", AUTH).json();

        assertEquals("hash-1", both.get("safety_identifier").getStringValue());
        assertEquals("u-1", userOnly.get("safety_identifier").getStringValue());
        assertEquals("u-2", emptyId.get("safety_identifier").getStringValue());
        assertNull(none.get("safety_identifier"));
    }

    @Test
    void transparentBackground_isRefusedByDefault_andRenderedWithAlphaWhenEnabled() throws Exception {
        String body = "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"quality\":\"low\",\"background\":\"transparent\"}";

        SandboxTestClient.Response refused = client.post(GENERATIONS, body, AUTH);
        SandboxTestClient.Response jpeg = client.post(GENERATIONS, body.replace("}", ",\"output_format\":\"jpeg\"}"), AUTH);
        state.configure(true, state.settings().toBuilder().openaiTransparent(true).build());
        SandboxTestClient.Response served = client.post(GENERATIONS, body, AUTH);

        assertEquals(400, refused.status());
        assertEquals("{\"error\":{\"message\":\"Transparent background is not supported for this model.\","
                + "\"type\":\"image_generation_user_error\",\"param\":\"background\",\"code\":\"invalid_value\"}}", refused.text());
        assertEquals(400, jpeg.status());
        assertEquals("background", jpeg.json().get("error").get("param").getStringValue());
        assertEquals(200, served.status(), served.text());
        assertEquals("transparent", served.json().get("background").getStringValue());
        BufferedImage img = decode(served.json().get("data").get(0));
        assertTrue(img.getColorModel().hasAlpha());
        boolean anyTransparent = false;
        for (int y = 0; y < img.getHeight() && !anyTransparent; y += 16) {
            for (int x = 0; x < img.getWidth() && !anyTransparent; x += 16) {
                anyTransparent = img.getRGB(x, y) >>> 24 == 0;
            }
        }
        assertTrue(anyTransparent, "the shapes stand on transparent pixels");
    }

    @Test
    void streaming_answersServerSentEvents_partialsThenCompleted_andCountsPartialTokens() throws Exception {
        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"quality\":\"low\","
                + "\"stream\":true,\"partial_images\":2,\"user\":\"u-9\"}", AUTH);

        assertEquals(200, r.status(), r.text());
        assertTrue(r.header("content-type").orElseThrow().startsWith("text/event-stream"), r.header("content-type").toString());
        String[] events = r.text().split("\n\n");
        assertEquals(3, events.length, r.text());
        List<String> types = new ArrayList<>();
        for (int i = 0; i < events.length; i++) {
            String[] lines = events[i].split("\n");
            assertEquals(2, lines.length, events[i]);
            assertTrue(lines[0].startsWith("event: "), lines[0]);
            assertTrue(lines[1].startsWith("data: "), lines[1]);
            JsonNode data = mapper.readValue(lines[1].substring(6), JsonNode.class);
            assertEquals(lines[0].substring(7), data.get("type").getStringValue());
            types.add(data.get("type").getStringValue());
            assertEquals("1024x1024", data.get("size").getStringValue());
            if (i < 2) {
                assertEquals(i, data.get("partial_image_index").getIntValue());
            } else {
                assertEquals(400, data.get("usage").get("output_tokens").getIntValue()); // 200 + 2 partials × 100
                assertEquals("u-9", data.get("safety_identifier").getStringValue());
            }
            assertEquals(1024, decode(data).getWidth());
        }
        assertEquals(List.of("image_generation.partial_image", "image_generation.partial_image", "image_generation.completed"), types);
    }

    @Test
    void authIsRequired_andTheKeyIsNeverEchoed() throws Exception {
        String wrongKey = "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        SandboxTestClient.Response missing = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\"}");
        SandboxTestClient.Response wrong = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\"}",
                "Authorization", "Bearer " + wrongKey);

        assertEquals(401, missing.status());
        assertEquals("invalid_api_key", missing.json().get("error").get("code").getStringValue());
        assertEquals(401, wrong.status());
        String message = wrong.json().get("error").get("message").getStringValue();
        assertTrue(message.startsWith("Incorrect API key provided: sk-abcde***"), message);
        assertTrue(message.contains("ABCD. You can find your API key at https://platform.openai.com/account/api-keys."), message);
        assertFalse(wrong.text().contains(wrongKey));
        assertFalse(wrong.text().contains("fghijklmnop"));
        assertEquals("sk-******", OpenAiErrors.mask("sk-abc123"));
    }

    @Test
    void latencyFromSettingsDelaysTheAnswer() throws Exception {
        state.configure(true, state.settings().toBuilder().openaiLatency(Duration.ofMillis(250)).build());
        long start = System.nanoTime();

        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"quality\":\"low\"}", AUTH);

        assertEquals(200, r.status());
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 240);
        assertTrue(Long.parseLong(r.header("openai-processing-ms").orElseThrow()) >= 240);
    }

    @Test
    void disabledSandboxIs404InvalidUrl() throws Exception {
        state.setEnabled(false);

        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\"}", AUTH);

        assertEquals(404, r.status());
        assertEquals("{\"error\":{\"message\":\"Invalid URL (POST /v1/images/generations)\",\"type\":\"invalid_request_error\","
                + "\"param\":null,\"code\":null}}", r.text());
        assertEquals(404, client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/gpt-image-1", AUTH).status());
    }
}
