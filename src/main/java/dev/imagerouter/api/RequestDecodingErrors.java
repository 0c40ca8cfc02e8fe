package dev.imagerouter.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import io.netty.handler.codec.compression.DecompressionException;
import jakarta.inject.Singleton;

import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.UnsupportedCharsetException;

/**
 * Request bodies the server cannot decode are the client's mistake, not a server error (found by
 * {@code FuzzTest}): a {@code Content-Encoding: gzip|deflate} body that does not decompress → 400
 * {@code invalid_content_encoding}; a {@code charset} the JVM does not know → 415 {@code unsupported_charset}.
 * Both in the OpenAI error shape, {@code param} null.
 */
public final class RequestDecodingErrors {

    private RequestDecodingErrors() {
    }

    private static HttpResponse<ErrorBody> answer(HttpStatus status, String message, String code) {
        return HttpResponse.<ErrorBody>status(status).contentType(MediaType.APPLICATION_JSON_TYPE)
                .body(ErrorBody.of(message, "invalid_request_error", null, code));
    }

    /** Compressed bodies that do not decompress. */
    @Singleton
    @Produces
    @Requires(classes = {DecompressionException.class, ExceptionHandler.class})
    public static class Decompression implements ExceptionHandler<DecompressionException, HttpResponse<?>> {
        @Override
        public HttpResponse<?> handle(HttpRequest request, DecompressionException exception) {
            return answer(HttpStatus.BAD_REQUEST, "The request body does not match its Content-Encoding.", "invalid_content_encoding");
        }
    }

    /** {@code charset=bogus}. */
    @Singleton
    @Produces
    @Requires(classes = {UnsupportedCharsetException.class, ExceptionHandler.class})
    public static class UnknownCharset implements ExceptionHandler<UnsupportedCharsetException, HttpResponse<?>> {
        @Override
        public HttpResponse<?> handle(HttpRequest request, UnsupportedCharsetException exception) {
            return answer(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported charset in Content-Type; send UTF-8 JSON.", "unsupported_charset");
        }
    }

    /** {@code charset=???}. */
    @Singleton
    @Produces
    @Requires(classes = {IllegalCharsetNameException.class, ExceptionHandler.class})
    public static class IllegalCharset implements ExceptionHandler<IllegalCharsetNameException, HttpResponse<?>> {
        @Override
        public HttpResponse<?> handle(HttpRequest request, IllegalCharsetNameException exception) {
            return answer(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported charset in Content-Type; send UTF-8 JSON.", "unsupported_charset");
        }
    }
}
