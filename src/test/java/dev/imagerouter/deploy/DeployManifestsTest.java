package dev.imagerouter.deploy;

import dev.imagerouter.config.ConfigOverrides;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.imagerouter.deploy.DeployFiles.KUBERNETES;
import static dev.imagerouter.deploy.DeployFiles.MANUAL;
import static dev.imagerouter.deploy.DeployFiles.at;
import static dev.imagerouter.deploy.DeployFiles.container;
import static dev.imagerouter.deploy.DeployFiles.deployment;
import static dev.imagerouter.deploy.DeployFiles.dockerEnv;
import static dev.imagerouter.deploy.DeployFiles.list;
import static dev.imagerouter.deploy.DeployFiles.manifests;
import static dev.imagerouter.deploy.DeployFiles.object;
import static dev.imagerouter.deploy.DeployFiles.plainEnv;
import static dev.imagerouter.deploy.DeployFiles.read;
import static dev.imagerouter.deploy.DeployFiles.runtimeStage;
import static dev.imagerouter.deploy.DeployFiles.volumeMountedAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What can be checked of deploy/ without a container engine or a cluster: the manifests parse and
 * hold the expected objects; the Deployment's paths, port, user and variables agree with the image
 * (deploy/Dockerfile) and with what the router reads; the ConfigMaps hold the repository's files.
 * The probes answering is DeployProbesHttpTest's; the Secret against a running router is
 * DeployEnvironmentProcessTest's.
 */
class DeployManifestsTest {

    /** The grace the router drains requests in after SIGTERM, when config/application.yml does not say (router.shutdown.grace). */
    static final double DEFAULT_SHUTDOWN_GRACE_SECONDS = 30;
    /** What the kubelet's wait must add to the drain: the JVM's exit after it (hooks, the job store, log flush). */
    static final double EXIT_MARGIN_SECONDS = 10;

    // ---- every manifest parses; the objects are the expected ones ----

    @Test
    void everyManifestParses_andTheObjectsAreTheExpectedOnes() {
        assertEquals(Map.of("ConfigMap", 2L, "Deployment", 1L, "Service", 1L, "PersistentVolumeClaim", 1L,
                "PodDisruptionBudget", 1L), kinds(KUBERNETES), "kubectl apply -f deploy/kubernetes/ creates these");
        assertEquals(Map.of("Secret", 1L, "ServiceMonitor", 1L), kinds(MANUAL), "applied by hand");
        Map<String, String> apiVersions = Map.of("ConfigMap", "v1", "Deployment", "apps/v1", "Service", "v1",
                "PersistentVolumeClaim", "v1", "PodDisruptionBudget", "policy/v1", "Secret", "v1",
                "ServiceMonitor", "monitoring.coreos.com/v1");
        for (Path dir : List.of(KUBERNETES, MANUAL)) {
            manifests(dir).forEach((file, docs) -> docs.forEach(doc -> {
                String where = dir.resolve(file) + " " + doc.get("kind");
                assertEquals(apiVersions.get((String) doc.get("kind")), doc.get("apiVersion"), where);
                assertTrue(at(doc, "metadata.name") instanceof String name && name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"), where);
                assertNull(at(doc, "metadata.namespace"), where + ": the namespace is the operator's choice (kubectl -n)");
                assertStringValues(where + " labels", at(doc, "metadata.labels"));
                assertStringValues(where + " annotations", at(doc, "metadata.annotations"));
            }));
        }
        assertStringValues("pod template labels", at(deployment(), "spec.template.metadata.labels"));
        assertStringValues("pod template annotations", at(deployment(), "spec.template.metadata.annotations"));
        for (String cm : List.of("image-router-config", "image-router-providers")) {
            assertStringValues(cm + " data", at(object(KUBERNETES, "ConfigMap", cm), "data"));
        }
    }

    private static Map<String, Long> kinds(Path dir) {
        return manifests(dir).values().stream().flatMap(List::stream)
                .collect(Collectors.groupingBy(d -> (String) d.get("kind"), TreeMap::new, Collectors.counting()));
    }

    /** Kubernetes refuses label, annotation, env and data values that YAML reads as numbers or booleans. */
    private static void assertStringValues(String where, Map<String, Object> values) {
        if (values != null) {
            values.forEach((k, v) -> assertTrue(v instanceof String, where + ": " + k + " must be a string (quote it), is " + v));
        }
    }

    @Test
    void oneReplica_recreated_onAReadWriteOnceStore_andTheSelectorsMatchThePod() {
        Map<String, Object> deployment = deployment();
        assertEquals(1, (Integer) at(deployment, "spec.replicas"), "one replica until replicas share state");
        assertEquals("Recreate", at(deployment, "spec.strategy.type"), "a RollingUpdate would start a second pod on the store");
        Map<String, Object> pvc = object(KUBERNETES, "PersistentVolumeClaim", null);
        assertEquals(List.of("ReadWriteOnce"), at(pvc, "spec.accessModes"));
        assertNotNull(at(pvc, "spec.resources.requests.storage"));

        Map<String, Object> podLabels = at(deployment, "spec.template.metadata.labels");
        Map<String, Object> selector = at(deployment, "spec.selector.matchLabels");
        assertSubset("Deployment selector", selector, podLabels);
        Map<String, Object> service = object(KUBERNETES, "Service", "image-router");
        assertSubset("Service selector", at(service, "spec.selector"), podLabels);
        Map<String, Object> pdb = object(KUBERNETES, "PodDisruptionBudget", null);
        assertEquals(selector, at(pdb, "spec.selector.matchLabels"), "the budget covers the Deployment's pods");
        assertEquals(1, (Integer) at(pdb, "spec.maxUnavailable"), "one replica: a stricter budget blocks every node drain");

        List<Map<String, Object>> servicePorts = list(service, "spec.ports");
        assertEquals(1, servicePorts.size());
        assertEquals(containerPort(), resolvePort(servicePorts.get(0).get("targetPort")), "the Service reaches the container's port");
    }

    private static void assertSubset(String what, Map<String, Object> selector, Map<String, Object> labels) {
        assertNotNull(selector, what);
        assertFalse(selector.isEmpty(), what);
        selector.forEach((k, v) -> assertEquals(v, labels.get(k), what + " " + k + " matches the pod's label"));
    }

    // ---- probes and the termination grace ----

    @Test
    void theProbesUseTheHealthEndpoints_andTheGraceOutlastsTheRoutersDrain() {
        Map<String, Object> c = container();
        assertEquals("/health/liveness", at(c, "livenessProbe.httpGet.path"));
        assertEquals("/health/readiness", at(c, "readinessProbe.httpGet.path"));
        assertEquals("/health/liveness", at(c, "startupProbe.httpGet.path"), "started = the server answers; traffic waits for readiness");
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertEquals(containerPort(), resolvePort(at(c, probe + ".httpGet.port")), probe + " port");
            int period = at(c, probe + ".periodSeconds");
            int timeout = at(c, probe + ".timeoutSeconds");
            assertTrue(timeout <= period, probe + ": a timeout longer than the period");
        }
        int startupBudget = (Integer) at(c, "startupProbe.periodSeconds") * (Integer) at(c, "startupProbe.failureThreshold");
        assertTrue(startupBudget >= 60, "at least a minute to start on a busy node, was " + startupBudget + " s");

        double grace = shutdownGraceSeconds();
        int termination = at(deployment(), "spec.template.spec.terminationGracePeriodSeconds");
        assertTrue(termination >= grace + EXIT_MARGIN_SECONDS, "terminationGracePeriodSeconds " + termination
                + " must outlast router.shutdown.grace (" + grace + " s) plus " + EXIT_MARGIN_SECONDS + " s to exit");
        assertTrue(read(DeployFiles.DOCKERFILE).contains("-t " + termination), "the Dockerfile's note gives Docker the same wait");
    }

    /** router.shutdown.grace from config/application.yml, else the router's default. */
    static double shutdownGraceSeconds() {
        Object configured = at(DeployFiles.yamlDocuments(Path.of("config", "application.yml")).get(0), "router.shutdown.grace");
        return configured == null ? DEFAULT_SHUTDOWN_GRACE_SECONDS : DeployFiles.seconds(configured.toString());
    }

    // ---- paths and port: manifest, image and router agree ----

    @Test
    void theConfigMapIsMountedAtRouterConfigDir_theProvidersBesideIt_andTheStoreAtRouterStorageDir() {
        Map<String, String> env = plainEnv();
        String configDir = env.get("ROUTER_CONFIG_DIR");
        String storageDir = env.get("ROUTER_STORAGE_DIR");
        assertNotNull(configDir, "the Deployment sets ROUTER_CONFIG_DIR");
        assertNotNull(storageDir, "the Deployment sets ROUTER_STORAGE_DIR");

        assertEquals("image-router-config", at(volumeMountedAt(configDir), "configMap.name"));
        // the router reads <config-dir>/providers, else <config-dir>/../providers (ConfigLoader, ConfigReloader)
        String providersDir = Path.of(configDir).getParent().resolve("providers").toString();
        assertEquals("image-router-providers", at(volumeMountedAt(providersDir), "configMap.name"));
        for (String dir : List.of(configDir, providersDir)) {
            Map<String, Object> mount = list(container(), "volumeMounts").stream().filter(m -> dir.equals(m.get("mountPath"))).findFirst().orElseThrow();
            assertNull(mount.get("subPath"), dir + ": a subPath mount never sees ConfigMap updates (no hot reload)");
        }
        assertEquals((Object) at(object(KUBERNETES, "PersistentVolumeClaim", null), "metadata.name"),
                at(volumeMountedAt(storageDir), "persistentVolumeClaim.claimName"));

        Map<String, String> image = dockerEnv();
        assertEquals(configDir, image.get("ROUTER_CONFIG_DIR"), "the image's ROUTER_CONFIG_DIR");
        assertEquals(storageDir, image.get("ROUTER_STORAGE_DIR"), "the image's ROUTER_STORAGE_DIR");
        assertTrue(runtimeStage("VOLUME").stream().anyMatch(v -> v.args().contains("\"" + storageDir + "\"")), "the image's VOLUME is the store");
        String workdir = workdir();
        assertEquals(configDir, copyDestination("config/", workdir), "the image's config/ is where ROUTER_CONFIG_DIR points");
        assertEquals(providersDir, copyDestination("providers/", workdir), "the image's providers/ beside it");
    }

    @Test
    void thePortIsTheOneTheRouterListensOn_everywhere() {
        int port = containerPort();
        assertEquals(Integer.toString(port), plainEnv().get("PORT"), "the Deployment's PORT");
        assertEquals(Integer.toString(port), dockerEnv().get("PORT"), "the image's PORT");
        assertEquals(List.of(Integer.toString(port)), runtimeStage("EXPOSE").stream().map(DeployFiles.Instruction::args).toList());
        String server = read(Path.of("src", "main", "resources", "application.yml"));
        Matcher m = Pattern.compile("\\n    port: \\$\\{PORT:(\\d+)}").matcher(server);
        assertTrue(m.find(), "micronaut.server.port reads PORT");
        assertEquals(port, Integer.parseInt(m.group(1)), "micronaut.server.port's default");
        Map<String, Object> annotations = at(deployment(), "spec.template.metadata.annotations");
        assertEquals(Integer.toString(port), annotations.get("prometheus.io/port"), "the scrape port");
    }

    @Test
    void theScrapePathIsTheMetricsEndpoint_asGrafanasPrometheusScrapesIt() {
        Map<String, Object> annotations = at(deployment(), "spec.template.metadata.annotations");
        assertEquals("true", annotations.get("prometheus.io/scrape"));
        assertEquals(Integer.toString(containerPort()), annotations.get("prometheus.io/port"));
        String path = (String) annotations.get("prometheus.io/path");
        Map<String, Object> prometheus = DeployFiles.yamlDocuments(Path.of("grafana", "prometheus", "prometheus.yml")).get(0);
        assertEquals(at(list(prometheus, "scrape_configs").get(0), "metrics_path"), path);
        Map<String, Object> monitor = object(MANUAL, "ServiceMonitor", null);
        assertEquals(path, at(list(monitor, "spec.endpoints").get(0), "path"));
        assertEquals((Object) at(list(object(KUBERNETES, "Service", null), "spec.ports").get(0), "name"),
                at(list(monitor, "spec.endpoints").get(0), "port"), "the ServiceMonitor names the Service's port");
        assertEquals((Object) at(deployment(), "spec.selector.matchLabels"), (Object) at(monitor, "spec.selector.matchLabels"));
    }

    // ---- the container's user and filesystem ----

    @Test
    void theContainerRunsAsTheImagesNonRootUser_onAReadOnlyRoot_withWritableTmpAndStore() {
        List<DeployFiles.Instruction> users = runtimeStage("USER");
        assertEquals(1, users.size(), "one USER in the runtime stage");
        Matcher user = Pattern.compile("(\\d+)(?::(\\d+))?").matcher(users.get(0).args());
        assertTrue(user.matches(), "a numeric USER (runAsNonRoot can only verify a number): " + users.get(0).args());
        int uid = Integer.parseInt(user.group(1));
        assertNotEquals(0, uid, "not root");
        Map<String, Object> pod = at(deployment(), "spec.template.spec.securityContext");
        assertEquals(true, pod.get("runAsNonRoot"));
        assertEquals(uid, pod.get("runAsUser"), "the image's user");
        assertEquals(uid, pod.get("fsGroup"), "the store volume is made writable for that user's group");
        Map<String, Object> c = at(container(), "securityContext");
        assertEquals(true, c.get("readOnlyRootFilesystem"));
        assertEquals(false, c.get("allowPrivilegeEscalation"));
        assertEquals(List.of("ALL"), at(c, "capabilities.drop"));

        // every place the router writes is a writable volume: the store and java.io.tmpdir
        Set<String> writable = list(container(), "volumeMounts").stream().filter(m -> !Boolean.TRUE.equals(m.get("readOnly")))
                .map(m -> (String) m.get("mountPath")).collect(Collectors.toSet());
        Matcher tmpdir = Pattern.compile("-Djava\\.io\\.tmpdir=(\\S+)").matcher(plainEnv().getOrDefault("JAVA_OPTS", ""));
        String tmp = tmpdir.find() ? tmpdir.group(1) : "/tmp";
        assertEquals(Set.of(plainEnv().get("ROUTER_STORAGE_DIR"), tmp), writable, "the writable mounts");
        assertNotNull(at(volumeMountedAt(tmp), "emptyDir"), tmp + " is an emptyDir");
        assertTrue(plainEnv().get("JAVA_OPTS").contains("-XX:MaxRAMPercentage="), "the heap follows the memory limit");
        Map<String, Object> limits = at(container(), "resources.limits");
        Map<String, Object> requests = at(container(), "resources.requests");
        assertNotNull(limits.get("memory"));
        assertEquals(limits.get("memory"), requests.get("memory"), "memory requested = limit: no OOM kill below the limit");
    }

    // ---- variables ----

    @Test
    void everyVariableTheDeploymentTheSecretAndTheImageSet_isOneTheRouterReads() throws IOException {
        Set<String> names = new TreeSet<>();
        list(container(), "env").forEach(e -> names.add((String) e.get("name")));
        names.addAll(secretTemplate().keySet());
        names.addAll(dockerEnv().keySet());
        assertTrue(list(container(), "envFrom").isEmpty(), "every variable is named in env (no envFrom), so this test sees them all");

        String readme = DeployFiles.readmeOutsideTheChecklist();
        Set<String> overrides = overrideVariables();
        List<String> unknown = names.stream()
                .filter(n -> !Pattern.compile("(?<![A-Z0-9_])" + n + "(?![A-Z0-9_])").matcher(readme).find())
                .filter(n -> !overrides.contains(n))
                .toList();
        assertEquals(List.of(), unknown, "variables neither documented in the README (outside its production checklist)"
                + " nor the override of a configuration key");
    }

    /** ROUTER_X_Y for every key router.x.y of config/application.yml and providers/*.yml (ConfigOverrides' rule). */
    private static Set<String> overrideVariables() throws IOException {
        Set<String> keys = new LinkedHashSet<>();
        flatten("", DeployFiles.yamlDocuments(Path.of("config", "application.yml")).get(0), keys);
        try (Stream<Path> files = Files.list(Path.of("providers"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml")).toList()) {
                String name = f.getFileName().toString().replaceFirst("\\.yml$", "");
                flatten("router.providers." + name, DeployFiles.yamlDocuments(f).get(0), keys);
            }
        }
        return keys.stream().map(ConfigOverrides::environmentVariable).collect(Collectors.toSet());
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> map, Set<String> keys) {
        map.forEach((k, v) -> {
            String key = prefix.isEmpty() ? k : prefix + "." + k;
            keys.add(key);
            if (v instanceof Map<?, ?> m) {
                flatten(key, (Map<String, Object>) m, keys);
            }
        });
    }

    @Test
    void theSecretsComeFromTheSecret_theRequiredOnesRequired_andTheTemplateHoldsOnlyPlaceholders() {
        Map<String, Object> secret = object(MANUAL, "Secret", null);
        String secretName = at(secret, "metadata.name");
        Map<String, String> template = secretTemplate();
        Map<String, Boolean> refs = new LinkedHashMap<>();
        for (Map<String, Object> e : list(container(), "env")) {
            Map<String, Object> ref = at(e, "valueFrom.secretKeyRef");
            if (ref != null) {
                assertEquals(secretName, ref.get("name"), e.get("name") + " comes from the Secret");
                assertEquals(e.get("name"), ref.get("key"), "the Secret's key is the variable's name");
                refs.put((String) ref.get("key"), Boolean.TRUE.equals(ref.get("optional")));
            }
        }
        assertEquals(new TreeSet<>(template.keySet()), new TreeSet<>(refs.keySet()), "the Deployment reads every key of the template, and only those");
        assertEquals(Set.of("LEONARDO_API_KEY", "OPENAI_API_KEY", "ROUTER_API_KEYS", "ROUTER_ADMIN_KEY"),
                refs.entrySet().stream().filter(r -> !r.getValue()).map(Map.Entry::getKey).collect(Collectors.toSet()),
                "required: the pod does not start without them");
        assertTrue(Set.of("LEONARDO_API_KEY", "OPENAI_API_KEY", "ROUTER_API_KEYS", "ROUTER_ADMIN_KEY", "LEONARDO_WEBHOOK_KEY",
                "ROUTER_CALLBACK_SECRET").stream().allMatch(template::containsKey), "the template names every secret: " + template.keySet());
        template.forEach((k, v) -> assertTrue(v.contains("REPLACE ME"), k + " is a placeholder, never a value"));
        assertEquals("false", plainEnv().get("ROUTER_SANDBOX"), "never sandbox mode in production, whatever the Secret holds");
        assertNotNull(at(secret, "stringData"));
        assertNull(at(secret, "data"), "stringData only: readable placeholders");
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> secretTemplate() {
        Map<String, Object> data = at(object(MANUAL, "Secret", null), "stringData");
        assertStringValues("Secret stringData", data);
        return (Map<String, String>) (Map<?, ?>) data;
    }

    // ---- the ConfigMaps hold the repository's files ----

    @Test
    void theConfigMapsHoldExactlyTheRepositorysConfigurationFiles() throws IOException {
        Map<String, Object> config = at(object(KUBERNETES, "ConfigMap", "image-router-config"), "data");
        assertEquals(Map.of("application.yml", read(Path.of("config", "application.yml"))), config,
                "image-router-config differs from config/: run deploy/kubernetes/make-configmap.sh");
        Map<String, Object> providers = at(object(KUBERNETES, "ConfigMap", "image-router-providers"), "data");
        Map<String, Object> expected = new TreeMap<>();
        try (Stream<Path> files = Files.list(Path.of("providers"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches(".+\\.ya?ml")).toList()) {
                expected.put(f.getFileName().toString(), read(f));
            }
        }
        assertEquals(expected, new TreeMap<>(providers), "image-router-providers differs from providers/: run deploy/kubernetes/make-configmap.sh");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void makeConfigmap_writesExactlyTheCommittedFile(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("configmap.yaml");
        Process p = new ProcessBuilder("bash", "deploy/kubernetes/make-configmap.sh", out.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertEquals(read(KUBERNETES.resolve("configmap.yaml")), read(out),
                "deploy/kubernetes/configmap.yaml is not what the script writes: run deploy/kubernetes/make-configmap.sh");
    }

    // ---- the Dockerfile ----

    @Test
    void theImageIsBuiltWithTheReadmesCommand_onJdk17_andRunsOnAJre17() {
        List<DeployFiles.Instruction> froms = DeployFiles.dockerfile("FROM");
        assertEquals(2, froms.size(), "a build stage and a runtime stage");
        String build = resolveArgs(froms.get(0).args().split(" ")[0]);
        String runtime = resolveArgs(froms.get(1).args().split(" ")[0]);
        assertTrue(build.matches(".*[:-]17-jdk.*"), "the build stage runs a JDK 17: " + build);
        assertTrue(runtime.matches(".*[:-]17-jre.*"), "the runtime stage is a JRE 17: " + runtime);

        // README, "Run it": ./mvnw -B -q -DskipTests package && bin/image-router
        Matcher run = Pattern.compile("```bash\\n(\\./mvnw [^\\n]*?package)").matcher(read(Path.of("README.md")));
        assertTrue(run.find(), "the README's package command");
        String packageCommand = run.group(1);
        assertTrue(DeployFiles.dockerfile("RUN").stream().anyMatch(i -> i.stage() == 0 && i.args().contains(packageCommand)),
                "the build stage runs the README's " + packageCommand);
        assertTrue(packageCommand.contains("-DskipTests"));
    }

    @Test
    void theImageHasTheLauncher_theClassArchive_aHealthCheck_andStopsOnSigterm() {
        String workdir = workdir();
        Map<String, String> env = dockerEnv();
        List<DeployFiles.Instruction> runtime = DeployFiles.dockerfile().stream()
                .filter(i -> i.stage() == runtimeStage("FROM").get(0).stage()).toList();

        assertEquals(List.of("[\"" + copyDestination("bin/image-router", workdir) + "\"]"),
                runtimeStage("ENTRYPOINT").stream().map(DeployFiles.Instruction::args).toList(), "starts through bin/image-router");
        assertEquals(copyDestination("/image-router.jar", workdir), env.get("IMAGE_ROUTER_JAR"), "the launcher runs the built jar");
        assertTrue(env.getOrDefault("IMAGE_ROUTER_CDS_DIR", "").startsWith(workdir + "/"), "a class archive directory in the image");
        assertTrue(env.get("JAVA_OPTS").contains("-XX:MaxRAMPercentage="), "the heap follows the container's memory limit");

        // the archive is trained in the runtime stage, by root (read-only to the service), after the jar and ENV are in place
        int training = indexOf(runtime, i -> i.keyword().equals("RUN") && i.args().contains("train-class-archive.sh"));
        int user = indexOf(runtime, i -> i.keyword().equals("USER"));
        int jar = indexOf(runtime, i -> i.keyword().equals("COPY") && i.args().contains("image-router.jar"));
        int cdsEnv = indexOf(runtime, i -> i.keyword().equals("ENV") && i.args().contains("IMAGE_ROUTER_CDS_DIR="));
        assertTrue(jar < training && cdsEnv < training && training < user,
                "COPY jar (" + jar + ") and ENV (" + cdsEnv + ") < training RUN (" + training + ") < USER (" + user + ")");

        List<DeployFiles.Instruction> health = runtimeStage("HEALTHCHECK");
        assertEquals(1, health.size());
        Matcher cmd = Pattern.compile(".*\\bCMD (.*)").matcher(health.get(0).args());
        assertTrue(cmd.matches(), health.get(0).args());
        assertTrue(cmd.group(1).contains("http://127.0.0.1:${PORT}/health/liveness"), "the HEALTHCHECK asks the liveness endpoint: " + cmd.group(1));
        String tool = cmd.group(1).split(" ")[0];
        assertTrue(runtime.stream().anyMatch(i -> i.keyword().equals("RUN") && i.args().contains("command -v " + tool)),
                "the build checks that " + tool + " exists in the runtime image");
        assertEquals(List.of("SIGTERM"), runtimeStage("STOPSIGNAL").stream().map(DeployFiles.Instruction::args).toList());
    }

    @Test
    void everyFileTheBuildCopies_existsAndReachesTheBuilder() {
        List<String> sources = new ArrayList<>();
        for (DeployFiles.Instruction copy : DeployFiles.dockerfile("COPY")) {
            if (copy.args().contains("--from=")) {
                continue;
            }
            List<String> words = new ArrayList<>(List.of(copy.args().split(" ")));
            words.removeIf(w -> w.startsWith("--"));
            sources.addAll(words.subList(0, words.size() - 1));
        }
        Matcher bind = Pattern.compile("--mount=type=bind,source=([^,\\s]+)").matcher(read(DeployFiles.DOCKERFILE));
        while (bind.find()) {
            sources.add(bind.group(1));
        }
        assertTrue(sources.containsAll(List.of("pom.xml", "src/", "config/", "providers/", "bin/image-router", "deploy/train-class-archive.sh")), sources.toString());
        List<String> patterns = read(DeployFiles.DOCKERIGNORE).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        for (String source : sources) {
            Path path = Path.of(source);
            assertTrue(Files.exists(path), source + " exists");
            assertFalse(ignored(patterns, path), source + " is left out by .dockerignore");
        }
        for (String inside : List.of(".mvn/wrapper/maven-wrapper.properties", "src/main/java/dev/imagerouter/Application.java",
                "src/main/resources/application.yml", "providers/leonardo-phoenix.yml")) {
            assertFalse(ignored(patterns, Path.of(inside)), inside + " is left out by .dockerignore");
        }
        for (String never : List.of("target/image-router-0.1.0-SNAPSHOT.jar", "data/images/ab/x.png", ".git", "bench/startup.sh")) {
            assertTrue(ignored(patterns, Path.of(never)), never + " should not be sent to the builder");
        }
    }

    /** .dockerignore's rule: the last pattern matching the path or one of its parents decides; "!" re-includes. */
    private static boolean ignored(List<String> patterns, Path path) {
        boolean ignored = false;
        for (String pattern : patterns) {
            boolean negated = pattern.startsWith("!");
            String glob = (negated ? pattern.substring(1) : pattern).replaceAll("^/+|/+$", "");
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            for (Path p = path; p != null; p = p.getParent()) {
                if (matcher.matches(p)) {
                    ignored = !negated;
                    break;
                }
            }
        }
        return ignored;
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theScriptsAreValidBash() throws Exception {
        for (String script : List.of("deploy/train-class-archive.sh", "deploy/kubernetes/make-configmap.sh")) {
            Process p = new ProcessBuilder("bash", "-n", script).redirectErrorStream(true).start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), script + ": " + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertTrue(Files.isExecutable(Path.of(script)), script + " is executable");
        }
    }

    // ---- helpers ----

    static int containerPort() {
        List<Map<String, Object>> ports = list(container(), "ports");
        assertEquals(1, ports.size(), "one container port");
        return (Integer) ports.get(0).get("containerPort");
    }

    /** A probe's or Service's port: a number, or the name of a container port. */
    private static int resolvePort(Object port) {
        if (port instanceof Integer n) {
            return n;
        }
        return list(container(), "ports").stream().filter(p -> port.equals(p.get("name")))
                .map(p -> (Integer) p.get("containerPort")).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port));
    }

    private static String workdir() {
        List<DeployFiles.Instruction> workdirs = runtimeStage("WORKDIR");
        assertEquals(1, workdirs.size(), "one WORKDIR in the runtime stage");
        return workdirs.get(0).args();
    }

    /** The absolute path in the image where a runtime-stage COPY puts {@code source}. */
    private static String copyDestination(String source, String workdir) {
        for (DeployFiles.Instruction copy : runtimeStage("COPY")) {
            List<String> words = new ArrayList<>(List.of(copy.args().split(" ")));
            words.removeIf(w -> w.startsWith("--"));
            if (words.size() == 2 && words.get(0).equals(source)) {
                String dest = words.get(1);
                return Path.of(workdir).resolve(dest).normalize().toString();
            }
        }
        throw new AssertionError("no COPY of " + source + " in the runtime stage");
    }

    private static String resolveArgs(String text) {
        Matcher m = Pattern.compile("\\$\\{?(\\w+)}?").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(DeployFiles.dockerArg(m.group(1))
                    .orElseThrow(() -> new AssertionError("no default for ARG " + m.group(0)))));
        }
        return m.appendTail(out).toString();
    }

    private static int indexOf(List<DeployFiles.Instruction> instructions, java.util.function.Predicate<DeployFiles.Instruction> p) {
        for (int i = 0; i < instructions.size(); i++) {
            if (p.test(instructions.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such instruction");
    }
}
