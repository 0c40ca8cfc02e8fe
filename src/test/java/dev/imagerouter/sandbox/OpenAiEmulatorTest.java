package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI emulator over real HTTP: happy path, validation, auth, models. */
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
        // Given the body the Java SDK sends (WIRE §4.2), asking for two landscape images
        String body = "{\"prompt\":\"a lighthouse at dusk\",\"background\":\"opaque\",\"model\":\"gpt-image-1\",\"moderation\":\"auto\","
                + "\"n\":2,\"output_format\":\"png\",\"quality\":\"low\",\"size\":\"1536x1024\"}";

        SandboxTestClient.Response r = client.post(GENERATIONS, body, AUTH);

        // Then: 200 ImagesResponse with exactly the §1.2 keys
        assertEquals(200, r.status(), r.text());
        assertEquals("application/json", r.header("content-type").orElseThrow());
        JsonNode json = r.json();
        List<String> keys = new ArrayList<>();
        json.entries().forEach(e -> keys.add(e.getKey()));
        assertEquals(List.of("created", "data", "background", "output_format", "size", "quality", "usage"), keys);
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
        assertEquals(800, usage.get("output_tokens").getIntValue()); // 2 × 400 (WIRE §1.3)
        assertEquals(5, usage.get("input_tokens").getIntValue()); // ⌈4 words × 1.25⌉
        assertEquals(805, usage.get("total_tokens").getIntValue());
        assertEquals(5, usage.get("input_tokens_details").get("text_tokens").getIntValue());
        assertEquals(0, usage.get("input_tokens_details").get("image_tokens").getIntValue());

        // And the debugging headers of §2.3
        assertTrue(r.header("x-request-id").orElseThrow().matches("req_[0-9a-f]{32}"));
        assertTrue(r.header("openai-processing-ms").orElseThrow().matches("\\d+"));
        assertEquals("2020-10-01", r.header("openai-version").orElseThrow());
        assertEquals("org-sandbox", r.header("openai-organization").orElseThrow());
        assertEquals(1, stats.openAiGenerates());
        assertEquals(List.of("gpt-image-1"), stats.openAiModels());
        assertEquals(body, stats.openAiGenerateBodies().get(0));
    }

    @Test
    void autoResolvesToSquareMediumOpaque() throws Exception {
        JsonNode json = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"size\":\"auto\",\"quality\":\"auto\"}", AUTH).json();

        assertEquals("1024x1024", json.get("size").getStringValue());
        assertEquals("medium", json.get("quality").getStringValue());
        assertEquals("opaque", json.get("background").getStringValue());
        assertEquals(1056, json.get("usage").get("output_tokens").getIntValue());
        assertEquals(1024, decode(json.get("data").get(0)).getWidth());
    }

    @Test
    void jpegOutputIsAJpeg() throws Exception {
        JsonNode json = client.post(GENERATIONS, "{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"size\":\"1024x1536\","
                + "\"output_format\":\"jpeg\",\"output_compression\":60}", AUTH).json();

        byte[] bytes = Base64.getDecoder().decode(json.get("data").get(0).get("b64_json").getStringValue());
        assertEquals((byte) 0xFF, bytes[0]);
        assertEquals(1536, ImageIO.read(new ByteArrayInputStream(bytes)).getHeight());
    }

    @Test
    void responseFormatIsAnUnknownParameter() throws Exception {
        SandboxTestClient.Response r = client.post(GENERATIONS,
                "{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"response_format\":\"b64_json\"}", AUTH);

        assertEquals(400, r.status());
        assertEquals("{\"error\":{\"message\":\"Unknown parameter: 'response_format'.\",\"type\":\"invalid_request_error\","
                + "\"param\":\"response_format\",\"code\":\"unknown_parameter\"}}", r.text());
        assertTrue(r.header("x-request-id").isPresent());
    }

    @Test
    void validationFollowsTheSpec() throws Exception {
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"foo\":1}", "foo", "unknown_parameter");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"style\":\"vivid\"}", "style", "unknown_parameter");
        assertInvalid("{\"model\":\"gpt-image-1\"}", "prompt", "missing_required_parameter");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"" + "x".repeat(32_001) + "\"}", "prompt", "string_above_max_length");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"n\":11}", "n", "integer_above_max_value");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"n\":0}", "n", "integer_below_min_value");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"n\":\"2\"}", "n", "invalid_type");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"quality\":\"hd\"}", "quality", "invalid_value");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"background\":\"clear\"}", "background", "invalid_value");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"output_format\":\"gif\"}", "output_format", "invalid_value");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"output_compression\":101}", "output_compression", "integer_above_max_value");
        assertInvalid("{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"moderation\":\"high\"}", "moderation", "invalid_value");
        SandboxTestClient.Response size = client.post(GENERATIONS, "{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"size\":\"1254x836\"}", AUTH);
        assertEquals("Invalid value: '1254x836'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
                size.json().get("error").get("message").getStringValue());
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

    @Test
    void unavailableModelIs404ModelNotFound() throws Exception {
        state.configure(true, state.settings().toBuilder().openaiAvailableModels(Set.of("gpt-image-2")).build());

        SandboxTestClient.Response gen = client.post(GENERATIONS, "{\"model\":\"gpt-image-1\",\"prompt\":\"p\"}", AUTH);
        SandboxTestClient.Response lookup = client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/gpt-image-1", AUTH);
        SandboxTestClient.Response available = client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/gpt-image-2", AUTH);

        String notFound = "{\"error\":{\"message\":\"The model `gpt-image-1` does not exist or you do not have access to it.\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}";
        assertEquals(404, gen.status());
        assertEquals(notFound, gen.text());
        assertEquals(404, lookup.status());
        assertEquals(notFound, lookup.text());
        assertEquals(200, available.status());
        assertEquals("{\"id\":\"gpt-image-2\",\"object\":\"model\",\"created\":1776729600,\"owned_by\":\"system\"}", available.text());
        assertEquals(2, stats.openAiModelLookups());
    }

    @Test
    void authIsRequired_andTheKeyIsNeverEchoed() throws Exception {
        String wrongKey = "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        SandboxTestClient.Response missing = client.post(GENERATIONS, "{\"model\":\"gpt-image-1\",\"prompt\":\"p\"}");
        SandboxTestClient.Response wrong = client.post(GENERATIONS, "{\"model\":\"gpt-image-1\",\"prompt\":\"p\"}",
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

        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"model\":\"gpt-image-1\",\"prompt\":\"p\",\"quality\":\"low\"}", AUTH);

        assertEquals(200, r.status());
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 240);
        assertTrue(Long.parseLong(r.header("openai-processing-ms").orElseThrow()) >= 240);
    }

    @Test
    void disabledSandboxIs404InvalidUrl() throws Exception {
        state.setEnabled(false);

        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"model\":\"gpt-image-1\",\"prompt\":\"p\"}", AUTH);

        assertEquals(404, r.status());
        assertEquals("{\"error\":{\"message\":\"Invalid URL (POST /v1/images/generations)\",\"type\":\"invalid_request_error\","
                + "\"param\":null,\"code\":null}}", r.text());
        assertEquals(404, client.get(SandboxKeys.OPENAI_BASE_PATH + "/models/gpt-image-1", AUTH).status());
    }
}
