package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

import static dev.imagerouter.sandbox.OpenAiEmulatorTest.AUTH;
import static dev.imagerouter.sandbox.OpenAiEmulatorTest.GENERATIONS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each OpenAI fault over real HTTP. */
@MicronautTest
class OpenAiFaultsTest extends EmulatorTest {

    static final String BODY = "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"quality\":\"low\"}";

    @Inject
    SandboxScheduler scheduler;

    @BeforeEach
    void setUp() {
        reset(SandboxSettings.builder().slowDelay(Duration.ofMillis(300)).randomSeed(5L).build());
    }

    private SandboxTestClient.Response generate(String fault) throws Exception {
        return client.post(GENERATIONS, BODY, AUTH[0], AUTH[1], SandboxKeys.FAULT_HEADER, fault);
    }

    @ParameterizedTest(name = "{0} -> {1} {3}")
    @CsvSource(delimiter = '|', value = {
            "openai=429                      | 429 | requests                    | rate_limit_exceeded",
            "openai=insufficient_quota       | 429 | insufficient_quota          | insufficient_quota",
            "openai=quota                    | 429 | insufficient_quota          | insufficient_quota",
            "openai=500                      | 500 | server_error                |",
            "openai=moderation_blocked       | 400 | image_generation_user_error | moderation_blocked",
            "openai=moderation               | 400 | image_generation_user_error | moderation_blocked",
            "openai=content_policy_violation | 400 | invalid_request_error       | content_policy_violation",
            "openai=auth                     | 401 | invalid_api_key             | invalid_api_key",
            "openai=forbidden                | 403 | invalid_request_error       |",
            "openai=model_not_found          | 404 | invalid_request_error       | model_not_found",
            "openai=bad_request              | 400 | image_generation_user_error | invalid_value",
    })
    void errorFaultsAnswerTheWireShape(String fault, int status, String type, String code) throws Exception {
        SandboxTestClient.Response r = generate(fault);

        assertEquals(status, r.status(), r.text());
        JsonNode error = r.json().get("error");
        assertEquals(4, error.size());
        assertEquals("auth".equals(fault.substring(7)) ? "invalid_request_error" : type, error.get("type").getStringValue());
        if (code == null) {
            assertTrue(error.get("code").isNull());
        } else {
            assertEquals(code, error.get("code").getStringValue());
        }
        assertEquals("429".equals(fault.substring(7)), r.header("retry-after").isPresent());
        assertTrue(r.header("x-request-id").isPresent());
        assertEquals(1, stats.openAiGenerates());
    }

    @Test
    void faultsApplyBeforeAStreamStarts() throws Exception {
        SandboxTestClient.Response r = client.post(GENERATIONS, "{\"model\":\"gpt-image-2\",\"prompt\":\"p\",\"stream\":true,"
                + "\"partial_images\":1}", AUTH[0], AUTH[1], SandboxKeys.FAULT_HEADER, "openai=429");

        assertEquals(429, r.status());
        assertEquals("application/json", r.header("content-type").orElseThrow());
        assertEquals("rate_limit_exceeded", r.json().get("error").get("code").getStringValue());
    }

    @Test
    void rateLimitCarriesRetryAfterOne() throws Exception {
        SandboxTestClient.Response r = generate("openai=429");

        assertEquals("1", r.header("retry-after").orElseThrow());
        assertTrue(r.json().get("error").get("message").getStringValue().startsWith("Rate limit reached for gpt-image-2 in organization org-sandbox"));
    }

    @Test
    void forbiddenNamesTheModel() throws Exception {
        assertTrue(generate("openai=forbidden").json().get("error").get("message").getStringValue()
                .startsWith("Your organization must be verified to use the model `gpt-image-2`."));
    }

    @Test
    void overloadedIsNotJson() throws Exception {
        SandboxTestClient.Response r = generate("openai=503");

        assertEquals(503, r.status());
        assertEquals("The engine is currently overloaded, please try again later", r.text());
        assertThrows(RuntimeException.class, r::json);
    }

    @Test
    void malformedIs200WithoutImageData() throws Exception {
        SandboxTestClient.Response r = generate("openai=malformed");

        assertEquals(200, r.status());
        assertEquals(1, r.json().get("data").size());
        assertEquals(0, r.json().get("data").get(0).size());
    }

    @Test
    void slowDelaysTheAnswer() throws Exception {
        long start = System.nanoTime();

        SandboxTestClient.Response r = generate("openai=slow");

        assertEquals(200, r.status());
        assertTrue((System.nanoTime() - start) / 1_000_000 >= 290);
    }

    @Test
    void timeoutNeverAnswers_withoutHoldingAThread() throws Exception {
        int before = scheduler.hangingCount();

        assertThrows(HttpTimeoutException.class, () -> client.post(GENERATIONS, BODY, Duration.ofMillis(400),
                AUTH[0], AUTH[1], SandboxKeys.FAULT_HEADER, "openai=timeout"));

        assertTrue(scheduler.hangingCount() > before);
        // the server still answers others meanwhile
        assertEquals(200, client.post(GENERATIONS, BODY, AUTH).status());
    }

    @Test
    void resetClosesTheConnection() throws Exception {
        assertThrows(IOException.class, () -> generate("openai=reset"));

        assertEquals(200, client.post(GENERATIONS, BODY, AUTH).status());
    }

    @Test
    void leonardoFaultsDoNotTouchOpenAi_andInapplicableFaultsAre400() throws Exception {
        assertEquals(200, generate("leonardo=429").status());
        SandboxTestClient.Response r = client.post(GENERATIONS, BODY, AUTH[0], AUTH[1], SandboxKeys.FAULT_HEADER, "openai-gpt=failed",
                SandboxKeys.PROVIDER_HEADER, "openai-gpt");
        assertEquals(400, r.status());
        assertEquals("sandbox_fault_invalid", r.json().get("error").get("code").getStringValue());
        assertFalse(r.json().get("error").get("message").getStringValue().isEmpty());
    }
}
