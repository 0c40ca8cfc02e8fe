package dev.imagerouter.deploy;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads what deploy/ holds, for the tests that check it without a container engine: the Kubernetes
 * manifests (SnakeYAML, safe loading), the Dockerfile (instructions with continuations joined), the
 * README and the repository's configuration.
 */
final class DeployFiles {

    static final Path KUBERNETES = Path.of("deploy", "kubernetes");
    /** Applied by hand, never by {@code kubectl apply -f deploy/kubernetes/}: the Secret template, the ServiceMonitor. */
    static final Path MANUAL = KUBERNETES.resolve("manual");
    static final Path DOCKERFILE = Path.of("deploy", "Dockerfile");
    static final Path DOCKERIGNORE = Path.of(".dockerignore");
    /** The README section that tells operators which variables to set; not evidence that the router reads them. */
    static final String CHECKLIST_HEADING = "## Production checklist";

    private DeployFiles() {
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every YAML document of a file, as maps. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> yamlDocuments(Path file) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : yaml.loadAll(read(file))) {
            if (doc != null) {
                assertTrue(doc instanceof Map, file + ": a document that is not a mapping: " + doc);
                docs.add((Map<String, Object>) doc);
            }
        }
        return docs;
    }

    /** The manifests of a directory (not its subdirectories), by file name. */
    static Map<String, List<Map<String, Object>>> manifests(Path dir) {
        Map<String, List<Map<String, Object>>> all = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches(".+\\.(ya?ml|json)")).sorted().toList()) {
                all.put(f.getFileName().toString(), yamlDocuments(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /** The one object of this kind (and name, when given) among the applied manifests or the manual ones. */
    static Map<String, Object> object(Path dir, String kind, String name) {
        List<Map<String, Object>> found = manifests(dir).values().stream().flatMap(List::stream)
                .filter(d -> kind.equals(d.get("kind")) && (name == null || name.equals(at(d, "metadata.name"))))
                .toList();
        assertEquals(1, found.size(), "one " + kind + (name == null ? "" : " " + name) + " in " + dir + ", found " + found.size());
        return found.get(0);
    }

    /** The value at a dotted path of maps ({@code spec.template.spec}); null when absent. */
    @SuppressWarnings("unchecked")
    static <T> T at(Map<String, Object> map, String path) {
        Object current = map;
        for (String part : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> m)) {
                return null;
            }
            current = m.get(part);
        }
        return (T) current;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> map, String path) {
        List<Map<String, Object>> value = at(map, path);
        return value == null ? List.of() : value;
    }

    static Map<String, Object> deployment() {
        return object(KUBERNETES, "Deployment", "image-router");
    }

    /** The Deployment's only container. */
    static Map<String, Object> container() {
        List<Map<String, Object>> containers = list(deployment(), "spec.template.spec.containers");
        assertEquals(1, containers.size(), "one container");
        return containers.get(0);
    }

    /** The plain {@code value}s of the container's env (secretKeyRef entries are left out). */
    static Map<String, String> plainEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> e : list(container(), "env")) {
            if (e.containsKey("value")) {
                assertTrue(e.get("value") instanceof String, "env " + e.get("name") + ": Kubernetes needs a string, got " + e.get("value"));
                env.put((String) e.get("name"), (String) e.get("value"));
            }
        }
        return env;
    }

    /** The volume a mount of the container uses, by mount path. */
    static Map<String, Object> volumeMountedAt(String mountPath) {
        Map<String, Object> mount = list(container(), "volumeMounts").stream()
                .filter(m -> mountPath.equals(m.get("mountPath"))).findFirst().orElse(null);
        assertNotNull(mount, "a volume mounted at " + mountPath);
        return list(deployment(), "spec.template.spec.volumes").stream()
                .filter(v -> v.get("name").equals(mount.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no volume named " + mount.get("name")));
    }

    /** A Dockerfile instruction: the keyword (upper case), its arguments, and the stage (0-based) it is in. */
    record Instruction(String keyword, String args, int stage) {
    }

    /** The Dockerfile's instructions, continuation lines joined and comment lines dropped (as Docker reads them). */
    static List<Instruction> dockerfile() {
        List<Instruction> out = new ArrayList<>();
        StringBuilder current = null;
        int stage = -1;
        for (String raw : read(DOCKERFILE).split("\n", -1)) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current == null)) {
                continue;
            }
            boolean continues = line.endsWith("\\");
            String text = continues ? line.substring(0, line.length() - 1) : line;
            current = current == null ? new StringBuilder(text) : current.append(' ').append(text);
            if (!continues) {
                String full = current.toString().strip();
                current = null;
                if (full.isEmpty()) {
                    continue;
                }
                String[] parts = full.split("\\s+", 2);
                String keyword = parts[0].toUpperCase();
                if (keyword.equals("FROM")) {
                    stage++;
                }
                out.add(new Instruction(keyword, parts.length > 1 ? parts[1].replaceAll("\\s+", " ").strip() : "", stage));
            }
        }
        return out;
    }

    static List<Instruction> dockerfile(String keyword) {
        return dockerfile().stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    /** The last stage's instructions of a keyword: what the image that runs has. */
    static List<Instruction> runtimeStage(String keyword) {
        int last = dockerfile().stream().mapToInt(Instruction::stage).max().orElse(-1);
        return dockerfile(keyword).stream().filter(i -> i.stage() == last).toList();
    }

    private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S*))");

    /** The ENV variables of the runtime stage, quotes removed. */
    static Map<String, String> dockerEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (Instruction i : runtimeStage("ENV")) {
            Matcher m = ENV_PAIR.matcher(i.args());
            while (m.find()) {
                env.put(m.group(1), m.group(3) != null ? m.group(3).replaceAll("\\\\(.)", "$1") : m.group(4));
            }
        }
        return env;
    }

    /** The default of an ARG ({@code ARG NAME=value}) declared before the first FROM or in any stage. */
    static Optional<String> dockerArg(String name) {
        return dockerfile("ARG").stream().map(Instruction::args).filter(a -> a.startsWith(name + "="))
                .map(a -> a.substring(name.length() + 1)).findFirst();
    }

    /** README.md without the section that tells operators what to set. */
    static String readmeOutsideTheChecklist() {
        String readme = read(Path.of("README.md"));
        int start = readme.indexOf(CHECKLIST_HEADING);
        if (start < 0) {
            return readme;
        }
        int end = readme.indexOf("\n## ", start + CHECKLIST_HEADING.length());
        return readme.substring(0, start) + (end < 0 ? "" : readme.substring(end));
    }

    /** A duration as the configuration writes it ({@code 30s}, {@code 2m}, {@code 500ms}), in seconds. */
    static double seconds(String duration) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)").matcher(duration.strip());
        assertTrue(m.matches(), "a duration: " + duration);
        double n = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> n / 1000;
            case "s" -> n;
            case "m" -> n * 60;
            default -> n * 3600;
        };
    }
}
