package dev.imagerouter.testing;

import dev.imagerouter.sandbox.SandboxStats;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;
import java.util.UUID;

/**
 * Base of the tests that talk HTTP to a sandboxed router: annotate the subclass with
 * {@code @MicronautTest}, override {@link #properties(Map)} to change settings. Every test starts
 * with fresh emulator counters; use {@link #prompt(String)} for a prompt no other test has cached.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SandboxHttpTest implements TestPropertyProvider {

    @Inject
    protected EmbeddedServer server;
    @Inject
    protected JsonMapper json;
    @Inject
    protected SandboxStats stats;

    protected ApiClient api;
    private Map<String, String> properties;

    @Override
    public final Map<String, String> getProperties() {
        if (properties == null) {
            Map<String, String> p = RouterTestSupport.fastSandbox();
            properties(p);
            properties = Map.copyOf(p);
        }
        return properties;
    }

    /** A property this test's router was started with. */
    protected String property(String name) {
        return getProperties().get(name);
    }

    /** Adjusts the fast-sandbox properties for this test class. */
    protected void properties(Map<String, String> p) {
    }

    @BeforeEach
    void resetSandbox() {
        api = new ApiClient(server.getURL().toString(), json);
        stats.reset();
    }

    /** A prompt no other request has used, so it is never a cache hit. */
    protected static String prompt(String what) {
        return what + " " + UUID.randomUUID();
    }
}
