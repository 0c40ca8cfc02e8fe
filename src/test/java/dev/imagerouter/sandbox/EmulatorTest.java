package dev.imagerouter.sandbox;

import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import jakarta.inject.Inject;

/**
 * Base of the emulator tests: the server, the sandbox's state and statistics, and a client for
 * raw HTTP. Subclasses are {@code @MicronautTest}s and call {@link #reset} before each test.
 */
abstract class EmulatorTest {

    @Inject
    EmbeddedServer server;
    @Inject
    SandboxState state;
    @Inject
    SandboxStats stats;
    @Inject
    JsonMapper mapper;

    SandboxTestClient client;

    /** Sandbox mode with {@code settings}, statistics cleared, a fresh client. */
    void reset(SandboxSettings settings) {
        state.configure(true, settings);
        stats.reset();
        client = new SandboxTestClient(server.getURI(), mapper);
    }
}
