package dev.imagerouter.config;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.TestConfigDir;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Issue #6: an edit of a watched file is picked up without any call. */
class ConfigWatchTest {

    @Test
    void editingTheChainFile_isPickedUpByTheWatcher() {
        TestConfigDir dir = TestConfigDir.copyOfRepository();
        Map<String, Object> props = new HashMap<>(RouterTestSupport.fastSandbox());
        props.put("router.config-dir", dir.configDir().toString());
        props.put("router.reload.debounce", "100ms");
        try (EmbeddedServer server = ApplicationContext.run(EmbeddedServer.class, props)) {
            RouterRuntime runtime = server.getApplicationContext().getBean(RouterRuntime.class);
            assertEquals(List.of("leonardo-phoenix", "openai-gpt-image-2"), runtime.chain().names());

            dir.replace(dir.applicationFile(), "    - leonardo-phoenix\n    - openai-gpt-image-2",
                    "    - openai-gpt-image-2\n    - leonardo-phoenix");

            await("the watcher reloads the chain").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> runtime.chain().names().get(0).equals("openai-gpt-image-2"));
            assertEquals(List.of("openai-gpt-image-2", "leonardo-phoenix"), runtime.chain().names());
            ApiClient api = new ApiClient(server.getURL().toString(), server.getApplicationContext().getBean(JsonMapper.class));
            assertEquals("openai-gpt-image-2", api.generate("{\"prompt\":\"watched\"}").router().get("provider"));
        }
    }
}
