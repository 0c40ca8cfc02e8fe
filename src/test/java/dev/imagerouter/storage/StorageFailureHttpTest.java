package dev.imagerouter.storage;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A store that cannot be written answers 503 in the OpenAI shape, never a bare 500, and caches nothing. */
@MicronautTest
class StorageFailureHttpTest extends SandboxHttpTest {

    @Test
    void unwritableStore_answers503StorageUnavailable_andRecoversWhenTheStoreIsBack() throws IOException {
        Path dir = Path.of(property("router.storage.dir"));
        deleteTree(dir);
        Files.writeString(dir, "not a directory"); // every write under the store now fails
        String body = "{\"prompt\":\"" + prompt("unwritable store") + "\"}";
        try {
            ApiClient.Response r = api.generate(body);

            assertEquals(503, r.status(), r.text());
            assertEquals("storage_unavailable", r.error().get("code"));
            assertEquals("server_error", r.error().get("type"));
        } finally {
            Files.delete(dir);
            Files.createDirectories(dir);
        }
        ApiClient.Response again = api.generate(body);
        assertEquals(200, again.status(), again.text());
        assertEquals("MISS", again.header("X-Router-Cache"));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
