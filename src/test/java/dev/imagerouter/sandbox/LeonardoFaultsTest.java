package dev.imagerouter.sandbox;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static dev.imagerouter.sandbox.LeonardoEmulatorTest.AUTH;
import static dev.imagerouter.sandbox.LeonardoEmulatorTest.BASE;
import static dev.imagerouter.sandbox.LeonardoEmulatorTest.phoenix;
import static dev.imagerouter.sandbox.LeonardoEmulatorTest.pollUntilDone;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each Leonardo fault over real HTTP: status, body, and the job state it leaves behind. */
@MicronautTest
class LeonardoFaultsTest extends EmulatorTest {

    @BeforeEach
    void setUp() {
        reset(SandboxSettings.builder().pending(Duration.ofMillis(50), Duration.ofMillis(50))
                .slowDelay(Duration.ofMillis(300)).randomSeed(7L).build());
    }

    private SandboxTestClient.Response create(String fault) throws Exception {
        return client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH[0], AUTH[1], SandboxKeys.FAULT_HEADER, fault);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "leonardo=429                | 429 | {\"error\":\"Too many requests\",\"path\":\"$\",\"code\":\"rate-limit-exceeded\"}",
            "leonardo=500                | 500 | {\"error\":\"internal error\",\"path\":\"$\",\"code\":\"unexpected\"}",
            "leonardo=quota              | 400 | {\"error\":\"not enough api tokens userId: 5a9d1b0e-7c4f-4e2a-9b3d-0000000000aa\",\"path\":\"$\",\"code\":\"unexpected\"}",
            "leonardo=insufficient_quota | 400 | {\"error\":\"not enough api tokens userId: 5a9d1b0e-7c4f-4e2a-9b3d-0000000000aa\",\"path\":\"$\",\"code\":\"unexpected\"}",
            "leonardo=moderation         | 400 | {\"error\":\"content moderation filter: nude\",\"path\":\"$\",\"code\":\"unexpected\"}",
            "leonardo=auth               | 401 | {\"error\":\"Authentication hook unauthorized this request\",\"path\":\"$\",\"code\":\"access-denied\"}",
            "leonardo=model              | 400 | {\"error\":\"de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3 is not supported within the Production API. Please try again with a different model ID.\",\"path\":\"$\",\"code\":\"unexpected\"}",
    })
    void refusingFaultsAnswerTheWireBody_andChargeNothing(String fault, int status, String body) throws Exception {
        SandboxTestClient.Response r = create(fault);

        assertEquals(status, r.status());
        assertEquals(body, r.text());
        assertEquals("application/json; charset=utf-8", r.header("content-type").orElseThrow());
        assertEquals(0, stats.leonardoCreatesAccepted());
        assertEquals(1, stats.leonardoCreates());
        assertEquals(0, new java.math.BigDecimal("10000").compareTo(state.leonardoBalance()));
        assertFalse(r.header("retry-after").isPresent());
    }

    @Test
    void moderationStatusComesFromSettings() throws Exception {
        state.configure(true, state.settings().toBuilder().leonardoModerationStatus(403).build());

        assertEquals(403, create("leonardo=moderation").status());
    }

    @Test
    void unavailableIsAnHtmlPage() throws Exception {
        SandboxTestClient.Response r = create("leonardo=503");

        assertEquals(503, r.status());
        assertTrue(r.header("content-type").orElseThrow().startsWith("text/html"));
        assertThrows(RuntimeException.class, r::json);
    }

    @Test
    void timeoutLeavesTheJobPendingForever() throws Exception {
        SandboxTestClient.Response r = create("leonardo=timeout");
        String id = r.json().get("sdGenerationJob").get("generationId").getStringValue();

        // every poll for 10 times the configured 50 ms pending phase still sees PENDING without images
        await("generation " + id + " stays PENDING").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(25)).until(() -> {
                    JsonNode g = client.get(BASE + "/generations/" + id, AUTH).json().get("generations_by_pk");
                    return "PENDING".equals(g.get("status").getStringValue()) && g.get("generated_images").size() == 0;
                });
    }

    @Test
    void failedEndsFailedWithoutImages() throws Exception {
        String id = create("leonardo=failed").json().get("sdGenerationJob").get("generationId").getStringValue();

        JsonNode g = pollUntilDone(client, id);

        assertEquals("FAILED", g.get("status").getStringValue());
        assertEquals(0, g.get("generated_images").size());
    }

    @Test
    void noimagesEndsCompleteWithAnEmptyList() throws Exception {
        String id = create("leonardo=noimages").json().get("sdGenerationJob").get("generationId").getStringValue();

        JsonNode g = pollUntilDone(client, id);

        assertEquals("COMPLETE", g.get("status").getStringValue());
        assertEquals(0, g.get("generated_images").size());
        assertEquals(404, client.get(SandboxKeys.LEONARDO_CDN_PATH + "/" + id + "/0.png").status());
    }

    @Test
    void malformedPollsAreTruncatedJson() throws Exception {
        String id = create("leonardo=malformed").json().get("sdGenerationJob").get("generationId").getStringValue();

        SandboxTestClient.Response poll = client.get(BASE + "/generations/" + id, AUTH);

        assertEquals(200, poll.status());
        assertTrue(poll.text().startsWith("{\"generations_by_pk\":{"));
        assertThrows(RuntimeException.class, poll::json);
    }

    @Test
    void slowDelaysTheCreateAnswer() throws Exception {
        long start = System.nanoTime();
        SandboxTestClient.Response r = create("leonardo=slow");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertEquals(200, r.status());
        assertTrue(elapsedMs >= 290, "answered after " + elapsedMs + " ms");
    }

    @Test
    void resetClosesTheConnectionWithoutAnAnswer() throws Exception {
        assertThrows(IOException.class, () -> create("leonardo=reset"));

        // the server is fine afterwards
        assertEquals(200, create("openai=reset").status());
        assertEquals(1, stats.faultsInjected(EmulatorType.LEONARDO, SandboxFault.RESET));
    }

    @Test
    void resetIsATcpRst_notAGracefulClose() throws Exception {
        String body = phoenix(512, 512, 1);
        String request = "POST " + BASE + "/generations HTTP/1.1\r\nHost: localhost\r\nauthorization: " + AUTH[1]
                + "\r\nContent-Type: application/json\r\n" + SandboxKeys.FAULT_HEADER + ": leonardo=reset\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body;
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            SocketException e = assertThrows(SocketException.class, () -> socket.getInputStream().read());

            assertTrue(e.getMessage().toLowerCase().contains("reset"), e.getMessage());
        }
    }

    @Test
    void instanceTargetsMatchTheProviderHeader() throws Exception {
        String body = phoenix(512, 512, 1);
        SandboxTestClient.Response hit = client.post(BASE + "/generations", body, AUTH[0], AUTH[1],
                SandboxKeys.FAULT_HEADER, "leonardo-phoenix=429", SandboxKeys.PROVIDER_HEADER, "leonardo-phoenix");
        SandboxTestClient.Response miss = client.post(BASE + "/generations", body, AUTH[0], AUTH[1],
                SandboxKeys.FAULT_HEADER, "leonardo-phoenix=429", SandboxKeys.PROVIDER_HEADER, "leonardo-backup");

        assertEquals(429, hit.status());
        assertEquals(200, miss.status());
        assertEquals(java.util.List.of("leonardo-phoenix", "leonardo-backup"), stats.providerHeaders());
    }

    @Test
    void badFaultHeaderIs400NamingTheProblem() throws Exception {
        SandboxTestClient.Response r = create("leonardo=explode");
        SandboxTestClient.Response wrongType = client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH[0], AUTH[1],
                SandboxKeys.FAULT_HEADER, "leonardo-phoenix=forbidden", SandboxKeys.PROVIDER_HEADER, "leonardo-phoenix");

        assertEquals(400, r.status());
        assertEquals("sandbox-fault", r.json().get("code").getStringValue());
        assertTrue(r.json().get("error").getStringValue().contains("unknown fault 'explode'"), r.text());
        assertEquals(400, wrongType.status());
        assertTrue(wrongType.text().contains("does not apply to leonardo"), wrongType.text());
    }

    @Test
    void standingFaultsApplyWithoutAHeader_atTheirProbability() throws Exception {
        state.configure(true, state.settings().toBuilder().faults("leonardo=429@0.5").randomSeed(3L).build());
        int limited = 0;
        for (int i = 0; i < 40; i++) {
            if (client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH).status() == 429) {
                limited++;
            }
        }

        assertTrue(limited >= 8 && limited <= 32, "429s: " + limited);
        assertEquals(limited, stats.faultsInjected(EmulatorType.LEONARDO, SandboxFault.RATE_LIMITED));
        assertEquals(40 - limited, stats.leonardoCreatesAccepted());
    }

    @Test
    void headerFaultsWinOverStandingFaults() throws Exception {
        state.configure(true, state.settings().toBuilder().faults("leonardo=500").build());

        assertEquals(429, create("leonardo=429").status());
        assertEquals(500, client.post(BASE + "/generations", phoenix(512, 512, 1), AUTH).status());
        assertEquals(500, create("openai=429").status()); // no matching header rule: the standing fault applies
    }
}
