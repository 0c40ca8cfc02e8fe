package dev.imagerouter.api;

import dev.imagerouter.settings.AuthConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Path classification: canonical spellings, deny by default, the protect-* switches. */
class EndpointAccessTest {

    private static AuthConfig auth(boolean protectMetrics, boolean protectFiles) {
        return new AuthConfig(List.of(), Optional.empty(), protectMetrics, protectFiles, new AuthConfig.Limits(0, 0), Optional.empty());
    }

    @ParameterizedTest
    @CsvSource({
            "/admin/config, ADMIN", "/admin, ADMIN", "//admin//chain, ADMIN", "/ADMIN/reload, ADMIN", "/v1/../admin/config, ADMIN",
            "/admin/./config, ADMIN", "/sandbox/../admin/config, ADMIN", "/health/../admin, ADMIN", "\\admin\\config, ADMIN",
            "/console, ADMIN", "/Console/, ADMIN", "//console/console.js, ADMIN", "/health/../console, ADMIN", "/admin/generations, ADMIN",
            "/consoles, CLIENT",
            "/health, OPEN", "/health/liveness, OPEN", "/sandbox/leonardo/api/rest/v1/me, OPEN", "/v1/webhooks/leonardo, OPEN",
            "/prometheus, OPEN", "/v1/images/files/abc.png, OPEN",
            "/v1/images/generations, CLIENT", "/v1/images/generations/, CLIENT", "/, CLIENT", "/healthz, CLIENT",
            "/sandbox, CLIENT", "/v1/images/files, CLIENT", "/beans, CLIENT", "/../../etc/passwd, CLIENT",
    })
    void paths_areClassifiedByTheirCanonicalForm(String path, EndpointAccess expected) {
        assertEquals(expected, EndpointAccess.of(path, auth(false, false)));
    }

    @ParameterizedTest
    @CsvSource({"/prometheus, METRICS", "/v1/images/files/abc.png, CLIENT"})
    void protectSwitches_closeMetricsAndFiles(String path, EndpointAccess expected) {
        assertEquals(expected, EndpointAccess.of(path, auth(true, true)));
    }

    @ParameterizedTest
    @CsvSource({"OPEN, ADMIN, ADMIN", "CLIENT, OPEN, CLIENT", "METRICS, OPEN, METRICS", "CLIENT, ADMIN, ADMIN", "OPEN, OPEN, OPEN"})
    void theStricterClassificationWins(EndpointAccess a, EndpointAccess b, EndpointAccess expected) {
        assertEquals(expected, EndpointAccess.stricter(a, b));
        assertEquals(expected, EndpointAccess.stricter(b, a));
    }
}
