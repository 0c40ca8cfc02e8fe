package dev.imagerouter.deploy;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.imagerouter.deploy.DeployFiles.at;
import static dev.imagerouter.deploy.DeployFiles.container;
import static dev.imagerouter.deploy.DeployFiles.deployment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every path the deployment files ask the router for (the three Kubernetes probes, the image's
 * HEALTHCHECK, the Prometheus scrape) is a real endpoint of a running router and answers 200.
 * Strict on purpose: /health/liveness and /health/readiness are the probes' contract.
 */
@MicronautTest
class DeployProbesHttpTest extends SandboxHttpTest {

    /** The paths the Deployment's probes, the Dockerfile's HEALTHCHECK and the scrape annotation name. */
    static Set<String> probedPaths() {
        Set<String> paths = new LinkedHashSet<>();
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            paths.add(at(container(), probe + ".httpGet.path"));
        }
        Matcher health = Pattern.compile("http://127\\.0\\.0\\.1:\\$\\{PORT}(/[^\"\\s]*)")
                .matcher(DeployFiles.runtimeStage("HEALTHCHECK").get(0).args());
        assertTrue(health.find(), "the HEALTHCHECK's URL");
        paths.add(health.group(1));
        Map<String, Object> annotations = at(deployment(), "spec.template.metadata.annotations");
        paths.add((String) annotations.get("prometheus.io/path"));
        return paths;
    }

    @Test
    void everyProbedPath_answers200() {
        Set<String> paths = probedPaths();
        assertEquals(Set.of("/health/liveness", "/health/readiness", "/prometheus"), paths);
        for (String path : paths) {
            ApiClient.Response r = api.get(path);
            assertEquals(200, r.status(), path + ": " + r.text());
        }
        assertTrue(api.get("/health/readiness").text().contains("\"storage\""), "readiness includes the store's writability");
        assertTrue(api.get("/prometheus").text().contains("image_router_"), "the router's metrics are scraped there");
    }
}
