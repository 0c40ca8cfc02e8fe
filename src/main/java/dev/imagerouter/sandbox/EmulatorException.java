package dev.imagerouter.sandbox;

import io.micronaut.http.MutableHttpResponse;

/**
 * Carries a complete emulator answer (status, headers, body in the provider's own shape) out of
 * validation code to the controller. Control flow only: no stack trace is captured.
 */
final class EmulatorException extends RuntimeException {

    private final transient MutableHttpResponse<byte[]> response;

    EmulatorException(MutableHttpResponse<byte[]> response) {
        super(null, null, false, false);
        this.response = response;
    }

    MutableHttpResponse<byte[]> response() {
        return response;
    }
}
