package dev.imagerouter.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.serde.annotation.Serdeable;

/**
 * The OpenAI error shape: {@code {"error":{"message","type","param","code"}}}; all four keys are
 * always present ({@code param} and {@code code} may be null). {@code router} carries the
 * attempts trail when a generation failed and is omitted otherwise.
 */
@Serdeable
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(Detail error, Object router) {

    public static ErrorBody of(String message, String type, String param, String code) {
        return new ErrorBody(new Detail(message, type, param, code), null);
    }

    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String message, String type, String param, String code) {
    }
}
