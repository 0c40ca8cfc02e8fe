package dev.imagerouter.api;

import io.micronaut.http.HttpStatus;

import java.util.Map;

/**
 * An error answered to the client in the OpenAI error shape
 * {@code {"error":{"message","type","param","code"}}}.
 */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;
    private final Object router;

    public ApiException(HttpStatus status, String message, String type, String param, String code,
                        Map<String, String> headers, Object router) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = headers == null ? Map.of() : Map.copyOf(headers);
        this.router = router;
    }

    /** 400 {@code invalid_request_error} naming the offending parameter. */
    public static ApiException invalid(String param, String code, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, message, "invalid_request_error", param, code, Map.of(), null);
    }

    /** 404 {@code not_found}. */
    public static ApiException notFound(String message) {
        return new ApiException(HttpStatus.NOT_FOUND, message, "invalid_request_error", null, "not_found", Map.of(), null);
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** Router metadata (the attempts trail) to include beside {@code error}, or null. */
    public Object router() {
        return router;
    }
}
