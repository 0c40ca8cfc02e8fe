package dev.imagerouter.bench;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The benchmarks' stack floor is off unless its system property is set: the route does not exist. */
@MicronautTest
class StackFloorOffTest extends SandboxHttpTest {

    @Override
    protected void properties(java.util.Map<String, String> p) {
        // what ROUTER_BENCH_STACK_FLOOR=true in the environment becomes: a Micronaut property, not a system property
        p.put(StackFloorController.ENABLED, "true");
    }

    @Test
    void withoutTheSystemProperty_theRouteDoesNotExist_evenWhenTheEnvironmentAsks() {
        ApiClient.Response r = StackFloorOnTest.post(api);

        assertEquals(404, r.status(), r.text());
        assertNotNull(r.error().get("message"), r.text());
        assertEquals(0, stats.openAiGenerates());
    }
}
