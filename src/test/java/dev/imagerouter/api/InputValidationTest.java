package dev.imagerouter.api;

import dev.imagerouter.testing.SandboxHttpTest;
import dev.imagerouter.testing.ApiClient;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #7 acceptance, input hardening: every validation rule answers its status with the {@code param}
 * and {@code code} it names, in the OpenAI error shape, before any provider is called. The prompt
 * cap is configured to 200 here (default 1500) to show it is configuration.
 */
@MicronautTest
class InputValidationTest extends SandboxHttpTest {

    static final int CAP = 200;

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.api.max-prompt-length", Integer.toString(CAP));
    }

    static Stream<Arguments> rules() {
        String tooLong = "p".repeat(CAP + 1);
        return Stream.of(
                // prompt
                Arguments.of("{\"n\":1}", "prompt", "missing_required_parameter"),
                Arguments.of("{\"prompt\":null}", "prompt", "missing_required_parameter"),
                Arguments.of("{\"prompt\":\"   \"}", "prompt", "invalid_value"),
                Arguments.of("{\"prompt\":42}", "prompt", "invalid_type"),
                Arguments.of("{\"prompt\":{\"a\":1}}", "prompt", "invalid_type"),
                Arguments.of("{\"prompt\":\"" + tooLong + "\"}", "prompt", "string_above_max_length"),
                Arguments.of("{\"prompt\":\"x\",\"negative_prompt\":\"" + tooLong + "\"}", "negative_prompt", "string_above_max_length"),
                Arguments.of("{\"prompt\":\"x\",\"negative_prompt\":7}", "negative_prompt", "invalid_type"),
                // n: 1..4
                Arguments.of("{\"prompt\":\"x\",\"n\":0}", "n", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"n\":5}", "n", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"n\":-1}", "n", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"n\":1.5}", "n", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"n\":1e300}", "n", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"n\":\"2\"}", "n", "invalid_type"),
                Arguments.of("{\"prompt\":\"x\",\"n\":true}", "n", "invalid_type"),
                // size: edges 256..3840, multiples of 8, at most 8,294,400 pixels (3840x2160)
                Arguments.of("{\"prompt\":\"x\",\"size\":\"248x256\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"256x3848\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"3840x2168\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"1024X1024\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"16:9\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"1020x1024\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"1024x1022\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"1024\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"99999999x1024\"}", "size", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"size\":1024}", "size", "invalid_type"),
                // enums
                Arguments.of("{\"prompt\":\"x\",\"quality\":\"ultra\"}", "quality", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"quality\":3}", "quality", "invalid_type"),
                Arguments.of("{\"prompt\":\"x\",\"style\":\"WATERCOLOUR\"}", "style", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"style\":[]}", "style", "invalid_type"),
                Arguments.of("{\"prompt\":\"x\",\"response_format\":\"png\"}", "response_format", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"output_format\":\"gif\"}", "output_format", "invalid_value"),
                // gpt-image-2's fields
                Arguments.of("{\"prompt\":\"x\",\"background\":\"clear\"}", "background", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"background\":\"transparent\",\"output_format\":\"jpeg\"}", "background", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"background\":\"transparent\"}", "background", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"moderation\":\"high\"}", "moderation", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"output_format\":\"jpeg\",\"output_compression\":101}", "output_compression", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"output_format\":\"webp\",\"output_compression\":-1}", "output_compression", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"output_format\":\"jpeg\",\"output_compression\":50.5}", "output_compression", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"output_format\":\"jpeg\",\"output_compression\":\"80\"}", "output_compression", "invalid_type"),
                Arguments.of("{\"prompt\":\"x\",\"output_compression\":80}", "output_compression", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"stream\":\"yes\"}", "stream", "invalid_type"),
                Arguments.of("{\"prompt\":\"x\",\"stream\":true,\"partial_images\":4}", "partial_images", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"safety_identifier\":7}", "safety_identifier", "invalid_type"),
                Arguments.of("{\"prompt\":\"x\",\"safety_identifier\":\"" + "u".repeat(257) + "\"}", "safety_identifier", "string_above_max_length"),
                Arguments.of("{\"prompt\":\"x\",\"quality\":\"max\"}", "quality", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"output_format\":false}", "output_format", "invalid_type"),
                // seed: 0..9999999998 (Leonardo, WIRE §2.1)
                Arguments.of("{\"prompt\":\"x\",\"seed\":-1}", "seed", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"seed\":9999999999}", "seed", "invalid_value"),
                Arguments.of("{\"prompt\":\"x\",\"seed\":\"12\"}", "seed", "invalid_type"),
                // accepted-and-ignored fields still have a type
                Arguments.of("{\"prompt\":\"x\",\"model\":5}", "model", "invalid_type"),
                Arguments.of("{\"prompt\":\"x\",\"user\":[1]}", "user", "invalid_type"),
                // unknown fields
                Arguments.of("{\"prompt\":\"x\",\"bogus\":1}", "bogus", "unknown_parameter"),
                Arguments.of("{\"prompt\":\"x\",\"Prompt\":\"y\"}", "Prompt", "unknown_parameter"),
                // not a JSON object: no param to name
                Arguments.of("{\"prompt\":", null, "invalid_json"),
                Arguments.of("[{\"prompt\":\"x\"}]", null, "invalid_json"),
                Arguments.of("\"prompt\"", null, "invalid_json"),
                Arguments.of("", null, "invalid_json"));
    }

    @ParameterizedTest
    @MethodSource("rules")
    void invalidInput_is400NamingParamAndCode_beforeAnyProviderCall(String body, String param, String code) {
        ApiClient.Response r = api.generate(body);

        assertEquals(400, r.status(), r.text());
        assertEquals("invalid_request_error", r.error().get("type"));
        assertEquals(code, r.error().get("code"), r.text());
        assertTrue(r.error().containsKey("param"), r.text());
        assertEquals(param, r.error().get("param"), r.text());
        assertTrue(r.error().get("message") instanceof String);
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
    }

    @Test
    void promptAtTheConfiguredCap_isAccepted_andOneOverIsNot() {
        String atCap = UUID.randomUUID() + "p".repeat(CAP - 36);
        ApiClient.Response ok = api.generate("{\"prompt\":\"" + atCap + "\",\"size\":\"256x256\"}");
        assertEquals(200, ok.status(), ok.text());
        ApiClient.Response over = api.generate("{\"prompt\":\"" + atCap + "q\",\"size\":\"256x256\"}");
        assertEquals(400, over.status());
        assertEquals("string_above_max_length", over.error().get("code"));
    }

    @Test
    void promptCap_countsCharactersNotBytes() {
        String emoji = "\uD83C\uDF0A".repeat(CAP); // CAP code points, 4 × CAP bytes
        ApiClient.Response r = api.generate("{\"prompt\":\"" + emoji + "\",\"size\":\"256x256\",\"seed\":" + System.nanoTime() % 1000 + "}");
        assertEquals(200, r.status(), r.text());
    }

    @Test
    void boundaryValues_areAccepted() {
        ApiClient.Response r = api.generate("{\"prompt\":\"boundaries " + UUID.randomUUID() + "\",\"size\":\"3840x256\",\"n\":4,"
                + "\"seed\":9999999998,\"quality\":\"low\",\"style\":\"cinematic\",\"response_format\":\"url\","
                + "\"output_format\":\"jpeg\",\"model\":\"gpt-image-1\",\"user\":\"u-1\"}");
        assertEquals(200, r.status(), r.text());
        assertEquals(4, r.data().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
            "image/png", "application/jsonx"})
    void wrongContentType_is415(String contentType) {
        ApiClient.Response r = api.post("/v1/images/generations", contentType, "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8));

        assertEquals(415, r.status(), r.text());
        assertEquals("unsupported_media_type", r.error().get("code"));
        assertTrue(r.error().containsKey("param"));
        assertNull(r.error().get("param"));
    }

    @Test
    void missingContentType_is415() {
        ApiClient.Response r = api.post("/v1/images/generations", null, "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(415, r.status(), r.text());
        assertEquals("unsupported_media_type", r.error().get("code"));
    }

    @Test
    void bodyOverTheSizeCap_is413InTheOpenAiShape() {
        byte[] big = ("{\"prompt\":\"" + "x".repeat(1_100_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        ApiClient.Response r = api.post("/v1/images/generations", "application/json", big);

        assertEquals(413, r.status(), r.text());
        assertEquals("request_too_large", r.error().get("code"));
        assertEquals("invalid_request_error", r.error().get("type"));
        assertTrue(r.error().containsKey("param"));
        assertEquals(0, stats.leonardoCreates() + stats.openAiGenerates());
    }

    @Test
    void chunkedBodyOverTheSizeCap_is413Too() {
        byte[] big = ("{\"prompt\":\"" + "x".repeat(1_100_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        // a streaming publisher of unknown length: the JDK client sends it chunked, without Content-Length
        HttpRequest.BodyPublisher chunked = HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big));
        ApiClient.Response r = api.send(api.request("/v1/images/generations", "Content-Type", "application/json")
                .POST(chunked).build());

        assertEquals(413, r.status(), r.text());
        assertEquals("request_too_large", r.error().get("code"));
    }

    @Test
    void wrongMethod_is405InTheOpenAiShape() {
        ApiClient.Response r = api.get("/v1/images/generations");
        assertEquals(405, r.status(), r.text());
        assertEquals("method_not_allowed", r.error().get("code"));
    }

    @Test
    void unknownParameterName_isShortenedAndPrintableWhereEchoed() {
        String name = "k\u0001" + "z".repeat(500);
        ApiClient.Response r = api.generate("{\"prompt\":\"x\",\"" + name.replace("\u0001", "\\u0001") + "\":1}");
        assertEquals(400, r.status());
        String param = (String) r.error().get("param");
        assertTrue(param.length() <= 70 && param.startsWith("k?z"), param);
    }
}
