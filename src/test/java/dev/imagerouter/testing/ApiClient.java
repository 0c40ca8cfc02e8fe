package dev.imagerouter.testing;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A plain JDK HTTP client for tests: real HTTP to the router's embedded server, no Micronaut
 * client in between, so what the tests see is what any client sees.
 */
public final class ApiClient {

    /** An HTTP answer with its body parsed as JSON when it is JSON. */
    public record Response(int status, Map<String, List<String>> headers, byte[] body, Map<String, Object> json) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> router() {
            return (Map<String, Object>) json.get("router");
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> error() {
            return (Map<String, Object>) json.get("error");
        }

        @SuppressWarnings("unchecked")
        public List<Map<String, Object>> attempts() {
            return (List<Map<String, Object>>) router().get("attempts");
        }

        @SuppressWarnings("unchecked")
        public List<Map<String, Object>> data() {
            return (List<Map<String, Object>>) json.get("data");
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final JsonMapper json;

    public ApiClient(String base, JsonMapper json) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.json = json;
    }

    public String base() {
        return base;
    }

    /** POST /v1/images/generations with a JSON body and extra headers (name, value, name, value...). */
    public Response generate(String body, String... headers) {
        return send(request("/v1/images/generations", headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    public Response get(String pathOrUrl, String... headers) {
        return send(request(pathOrUrl, headers).GET().build());
    }

    public Response post(String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder b = request(path, headers);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    public HttpRequest.Builder request(String pathOrUrl, String... headers) {
        URI uri = URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    public Response send(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            Map<String, Object> parsed = null;
            String type = r.headers().firstValue("content-type").orElse("");
            if (type.contains("json") && r.body().length > 0) {
                parsed = json.readValue(r.body(), Argument.mapOf(String.class, Object.class));
            }
            return new Response(r.statusCode(), r.headers().map(), r.body(), parsed);
        } catch (IOException e) {
            throw new AssertionError("HTTP call failed: " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * One sample of {@code GET /prometheus} by metric name and labels (name, value, name, value...;
     * label order does not matter).
     *
     * @throws AssertionError when no sample matches
     */
    public double prometheusSample(String name, String... labels) {
        for (String line : get("/prometheus").text().split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                all &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (all) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no sample " + name + " " + List.of(labels));
    }
}
