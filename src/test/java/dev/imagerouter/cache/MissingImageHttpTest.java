package dev.imagerouter.cache;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An entry in the memory cache whose image file is gone is dropped and generated once more: the
 * answer is 200 with one more provider call and a URL that serves, never a 404 URL, never a 500
 * for b64_json.
 */
@MicronautTest
class MissingImageHttpTest extends SandboxHttpTest {

    @Test
    void imageFileDeleted_nextRequestGeneratesAgain_urlServes_andB64JsonToo() throws IOException {
        String prompt = prompt("deleted behind the cache's back");
        ApiClient.Response first = api.generate("{\"prompt\":\"" + prompt + "\"}");
        assertEquals(200, first.status(), first.text());
        assertEquals(1, stats.leonardoCreates());
        Files.delete(imageFile((String) first.data().get(0).get("url")));

        ApiClient.Response url = api.generate("{\"prompt\":\"" + prompt + "\"}");

        assertEquals(200, url.status(), url.text());
        assertEquals("MISS", url.header("X-Router-Cache"));
        assertEquals(2, stats.leonardoCreates(), "one fresh generation");
        ApiClient.Response file = api.get((String) url.data().get(0).get("url"));
        assertEquals(200, file.status());
        assertTrue(RouterTestSupport.isPng(file.body()));

        // Given the file is gone again, when the same request asks for b64_json
        Files.delete(imageFile((String) url.data().get(0).get("url")));
        ApiClient.Response b64 = api.generate("{\"prompt\":\"" + prompt + "\",\"response_format\":\"b64_json\"}");

        assertEquals(200, b64.status(), b64.text());
        assertEquals(3, stats.leonardoCreates());
        assertTrue(RouterTestSupport.isPng(Base64.getDecoder().decode((String) b64.data().get(0).get("b64_json"))));
        // and the entry is good again: the next request is a hit without a provider call
        ApiClient.Response hit = api.generate("{\"prompt\":\"" + prompt + "\"}");
        assertEquals("HIT", hit.header("X-Router-Cache"));
        assertEquals(3, stats.leonardoCreates());
        assertEquals(200, api.get((String) hit.data().get(0).get("url")).status());
    }

    private Path imageFile(String url) {
        String name = url.substring(url.lastIndexOf('/') + 1);
        Path file = Path.of(property("router.storage.dir")).resolve(name.substring(0, 2)).resolve(name);
        assertTrue(Files.isRegularFile(file), file.toString());
        return file;
    }
}
