package dev.imagerouter.api;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code router.api.max-b64-bytes}: a b64_json answer over the cap is a 400 naming response_format; url then hits the cache. */
@MicronautTest
class B64SizeCapHttpTest extends SandboxHttpTest {

    @Override
    protected void properties(Map<String, String> p) {
        p.put("router.api.max-b64-bytes", "1024"); // every sandbox PNG is larger
    }

    @Test
    void b64JsonOverTheCap_is400NamingResponseFormat_andTheUrlRetryIsACacheHit() {
        String prompt = prompt("a tide pool");
        ApiClient.Response b64 = api.generate("{\"prompt\":\"" + prompt + "\",\"size\":\"512x512\",\"response_format\":\"b64_json\"}");

        assertEquals(400, b64.status(), b64.text());
        assertEquals("response_format", b64.error().get("param"));
        assertEquals("invalid_value", b64.error().get("code"));
        assertTrue(String.valueOf(b64.error().get("message")).contains("\"response_format\": \"url\""), b64.text());

        ApiClient.Response url = api.generate("{\"prompt\":\"" + prompt + "\",\"size\":\"512x512\",\"response_format\":\"url\"}");
        assertEquals(200, url.status(), url.text());
        assertEquals("HIT", url.header("X-Router-Cache"));
        assertEquals(1, stats.leonardoCreates(), "one generation for both requests");
    }
}
