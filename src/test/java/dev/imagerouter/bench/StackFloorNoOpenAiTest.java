package dev.imagerouter.bench;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The benchmarks' stack floor with a chain that has no OpenAI provider: 404 in the OpenAI error shape, nothing sent. */
@MicronautTest
class StackFloorNoOpenAiTest extends SandboxHttpTest {

    @org.junit.jupiter.api.AfterAll
    void clearProperty() {
        System.clearProperty(StackFloorController.ENABLED);
    }

    @Override
    protected void properties(Map<String, String> p) {
        // a JVM system property, set before the application starts; cleared after the class
        System.setProperty(StackFloorController.ENABLED, "true");
        p.put("router.chain", "leonardo-phoenix");
    }

    @Test
    void aChainWithoutOpenAi_is404_andNoProviderIsCalled() {
        ApiClient.Response r = StackFloorOnTest.post(api);

        assertEquals(404, r.status(), r.text());
        assertEquals("no_openai_provider", r.error().get("code"), r.text());
        assertEquals(0, stats.openAiGenerates() + stats.leonardoCreates());
    }
}
