package dev.imagerouter.api;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.JsonErrorResponseBodyProvider;
import jakarta.inject.Singleton;

/**
 * Makes every error Micronaut itself produces (unknown route, wrong method, body too large,
 * unreadable body, unexpected exception) use the OpenAI error shape, so clients never see another.
 */
@Singleton
@Replaces(JsonErrorResponseBodyProvider.class)
public class OpenAiErrorBodyProvider implements JsonErrorResponseBodyProvider<ErrorBody> {

    @Override
    public ErrorBody body(ErrorContext context, HttpResponse<?> response) {
        int status = response.code();
        String code = switch (status) {
            case 400 -> "invalid_request";
            case 401 -> "invalid_api_key";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "request_too_large";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "server_error" : "invalid_request";
        };
        String message = status >= 500 ? "The server had an error while processing your request."
                : context.getErrors().stream().findFirst().map(e -> e.getMessage()).map(OpenAiErrorBodyProvider::clean)
                .orElse(response.reason());
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        return ErrorBody.of(message, type, null, code);
    }

    private static String clean(String message) {
        String oneLine = message.replaceAll("\\s+", " ");
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "…" : oneLine;
    }
}
