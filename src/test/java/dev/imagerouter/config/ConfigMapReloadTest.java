package dev.imagerouter.config;

import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A Kubernetes ConfigMap update reloads the configuration: the kubelet writes the new files into a
 * fresh hidden directory and swaps the {@code ..data} symlink to it with one rename; the visible
 * {@code application.yml} is a symlink through {@code ..data} and never changes itself.
 */
class ConfigMapReloadTest {

    /** Lays {@code application.yml} out in {@code dir} as a ConfigMap volume does, with its content from {@code version}. */
    private static void publish(Path dir, String version, String content) throws IOException {
        Path data = dir.resolve("..2026_12_06_" + version);
        Files.createDirectories(data);
        Files.writeString(data.resolve("application.yml"), content);
        Path tmp = dir.resolve("..data_tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, data.getFileName());
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (!Files.isSymbolicLink(dir.resolve("application.yml"))) {
            Files.createSymbolicLink(dir.resolve("application.yml"), Path.of("..data", "application.yml"));
        }
    }

    @Test
    void aConfigMapSymlinkSwap_isPickedUpByTheWatcher() throws IOException {
        TestConfigDir repository = TestConfigDir.copyOfRepository();
        String original = TestConfigDir.read(repository.applicationFile());
        Path mounted = repository.configDir().resolveSibling("mounted-config");
        Files.createDirectories(mounted);
        // the providers sit beside the config directory, as in the repository
        publish(mounted, "v1", original);

        Map<String, Object> props = new HashMap<>(RouterTestSupport.fastSandbox());
        props.put("router.config-dir", mounted.toString());
        props.put("router.reload.debounce", "100ms");
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, props)) {
            RouterRuntime runtime = server.getApplicationContext().getBean(RouterRuntime.class);
            assertEquals(List.of("leonardo-phoenix", "openai-gpt-image-2"), runtime.chain().names());

            publish(mounted, "v2", original.replace("    - leonardo-phoenix\n    - openai-gpt-image-2",
                    "    - openai-gpt-image-2\n    - leonardo-phoenix"));

            await().atMost(Duration.ofSeconds(15))
                    .until(() -> runtime.chain().names().equals(List.of("openai-gpt-image-2", "leonardo-phoenix")));
        }
    }

    @Test
    void onlyOurYamlFilesAndTheConfigMapSwap_countAsChanges() {
        assertEquals(true, ConfigReloader.isConfigChange("application.yml"));
        assertEquals(true, ConfigReloader.isConfigChange("..data"));
        assertEquals(false, ConfigReloader.isConfigChange("..data_tmp"));
        assertEquals(false, ConfigReloader.isConfigChange(".application.yml.swp"));
    }
}
