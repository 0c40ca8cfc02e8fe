package dev.imagerouter.api;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.HtmlErrorResponseBodyProvider;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;

import java.io.IOException;

/**
 * Micronaut answers errors with an HTML page when the request accepts {@code text/html} and not JSON
 * (a browser, or {@code Accept: text/html}). The router is an API: it answers those in the OpenAI error
 * shape as JSON too ({@link OpenAiErrorBodyProvider}), so no client ever sees another shape (found by
 * {@code FuzzTest}).
 */
@Singleton
@Replaces(HtmlErrorResponseBodyProvider.class)
public class OpenAiHtmlErrorBodyProvider implements HtmlErrorResponseBodyProvider {

    private final OpenAiErrorBodyProvider json;
    private final JsonMapper mapper;

    public OpenAiHtmlErrorBodyProvider(OpenAiErrorBodyProvider json, JsonMapper mapper) {
        this.json = json;
        this.mapper = mapper;
    }

    @Override
    public String body(ErrorContext context, HttpResponse<?> response) {
        try {
            return mapper.writeValueAsString(json.body(context, response));
        } catch (IOException e) {
            return "{\"error\":{\"message\":\"" + response.code() + "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
        }
    }

    @Override
    public String contentType() {
        return MediaType.APPLICATION_JSON;
    }
}
