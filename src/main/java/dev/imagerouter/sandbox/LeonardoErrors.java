package dev.imagerouter.sandbox;

import io.micronaut.http.MutableHttpResponse;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Leonardo's error answers, in the Hasura REST envelope {@code {"error":"…","path":"$","code":"…"}}
 * (Leonardo WIRE.md §6.1). Each method names the WIRE.md row its status and body come from;
 * "emulator" marks wording the docs do not give.
 */
final class LeonardoErrors {

    /** Path prefix of Hasura's type-error paths for the create action (WIRE §1 "Types are strict"). */
    static final String ARG_PATH = "$.selectionSet.sdGenerationJob.args.arg1.";

    private LeonardoErrors() {
    }

    static MutableHttpResponse<byte[]> error(int status, String message, String path, String code) {
        Map<String, Object> body = SandboxJson.object();
        body.put("error", message);
        body.put("path", path);
        body.put("code", code);
        return SandboxHttp.raw(status, SandboxHttp.LEONARDO_JSON, SandboxJson.bytes(body));
    }

    static MutableHttpResponse<byte[]> error(int status, String message, String code) {
        return error(status, message, "$", code);
    }

    /** 404 for a missing route, here: the sandbox is disabled (WIRE §6.1, Hasura source). */
    static MutableHttpResponse<byte[]> endpointNotFound() {
        return error(404, "Endpoint not found", "not-found");
    }

    /** 401 missing or rejected key (WIRE §6.2 row 1). */
    static MutableHttpResponse<byte[]> unauthorized() {
        return error(401, "Authentication hook unauthorized this request", "access-denied");
    }

    /** 500 malformed key: not a UUID, or not {@code Bearer <key>} (WIRE §6.2 row 2). */
    static MutableHttpResponse<byte[]> invalidAuthHookResponse() {
        return error(500, "Invalid response from authorization hook", "unexpected");
    }

    /** 400 unknown body key (WIRE §6.2 row 3). */
    static MutableHttpResponse<byte[]> unexpectedVariable(String key) {
        return error(400, "Unexpected variable " + key, "bad-request");
    }

    /** 400 wrong JSON type, e.g. "expected a boolean for type 'Boolean', but found a string" (WIRE §6.2 row 4). */
    static MutableHttpResponse<byte[]> typeMismatch(String argPath, String message) {
        return error(400, message, ARG_PATH + argPath, "validation-failed");
    }

    /** 400 no prompt or a malformed body (WIRE §6.2 row 5). */
    static MutableHttpResponse<byte[]> missingPrompt() {
        return error(400, "expecting a value for non-nullable variable: \"prompt\"", "validation-failed");
    }

    /** 400 prompt longer than 1500 characters (WIRE §6.2 row 6). */
    static MutableHttpResponse<byte[]> promptTooLong() {
        return error(400, "Invalid prompt, maximum length of 1500 characters exceeded.", "unexpected");
    }

    /** 400 bad width/height (WIRE §6.2 row 7). */
    static MutableHttpResponse<byte[]> invalidDimensions() {
        return error(400, "invalid dimensions", "unexpected");
    }

    /** 400 "Too many images" (WIRE §6.2 row 8; the exact body is not documented, so emulator envelope). */
    static MutableHttpResponse<byte[]> tooManyImages() {
        return error(400, "Too many images", "unexpected");
    }

    /** 400 for {@code num_images < 1} (emulator wording; not documented). */
    static MutableHttpResponse<byte[]> tooFewImages() {
        return error(400, "num_images must be at least 1", "unexpected");
    }

    /** 400 for a contrast outside the allowed set (emulator wording; rule from WIRE §2.1 {@code contrast}). */
    static MutableHttpResponse<byte[]> invalidContrast(String why) {
        return error(400, why, "unexpected");
    }

    /** 400 model not available on the API (WIRE §6.2 row 9; status [L]). */
    static MutableHttpResponse<byte[]> modelNotSupported(String modelId) {
        return error(400, modelId + " is not supported within the Production API. Please try again with a different model ID.",
                "unexpected");
    }

    /** Content moderation with the configured status, 400 or 403 (WIRE §6.2 row 10). */
    static MutableHttpResponse<byte[]> moderation(int status) {
        return error(status, "content moderation filter: nude", "unexpected");
    }

    /** 400 insufficient credits (WIRE §6.2 row 13; status [L]). */
    static MutableHttpResponse<byte[]> notEnoughTokens() {
        return error(400, "not enough api tokens userId: " + SandboxKeys.LEONARDO_USER_ID, "unexpected");
    }

    /** 429 rate limit: WIRE §6.2 last row suggests this placeholder body; no Retry-After header. */
    static MutableHttpResponse<byte[]> rateLimited() {
        return error(429, "Too many requests", "rate-limit-exceeded");
    }

    /** 500 from a handler 5xx, as Hasura rewrites it (WIRE §6.1). */
    static MutableHttpResponse<byte[]> internalError() {
        return error(500, "internal error", "unexpected");
    }

    /** 503 from the load balancer in front of Hasura: an HTML page, not JSON (emulator body). */
    static MutableHttpResponse<byte[]> unavailable() {
        String html = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
                + "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";
        return SandboxHttp.raw(503, "text/html", html.getBytes(StandardCharsets.UTF_8));
    }

    /** 400 for an {@code X-Sandbox-Fault} header that does not parse, or a fault Leonardo does not know (sandbox only). */
    static MutableHttpResponse<byte[]> badFaultHeader(String why) {
        return error(400, "invalid " + SandboxKeys.FAULT_HEADER + " header: " + why, "sandbox-fault");
    }

    /** 400 for a generation id that is not a UUID (WIRE §3 [L]: Postgres' message through Hasura). */
    static MutableHttpResponse<byte[]> invalidUuid(String id) {
        return error(400, "invalid input syntax for type uuid: \"" + id + "\"", "data-exception");
    }
}
