package dev.imagerouter.sandbox;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.micronaut.json.tree.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/** A plain {@link java.net.http.HttpClient} against the embedded server, so tests see the raw wire. */
final class SandboxTestClient {

    /** One answer: status, headers, raw body. */
    record Response(int status, HttpHeaders headers, byte[] body, JsonMapper mapper) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        JsonNode json() {
            try {
                return mapper.readValue(body, Argument.of(JsonNode.class));
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final JsonMapper mapper;

    SandboxTestClient(URI base, JsonMapper mapper) {
        this.base = base;
        this.mapper = mapper;
    }

    Response post(String path, String body, String... headers) throws IOException, InterruptedException {
        return send(builder(path, headers).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json"),
                Duration.ofSeconds(20));
    }

    Response post(String path, String body, Duration timeout, String... headers) throws IOException, InterruptedException {
        return send(builder(path, headers).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json"),
                timeout);
    }

    Response get(String path, String... headers) throws IOException, InterruptedException {
        return send(builder(path, headers).GET(), Duration.ofSeconds(20));
    }

    /** The absolute URL of {@code path} on the embedded server. */
    String url(String path) {
        return base.resolve(path).toString();
    }

    private HttpRequest.Builder builder(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    private Response send(HttpRequest.Builder b, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Response(r.statusCode(), r.headers(), r.body(), mapper);
    }
}
