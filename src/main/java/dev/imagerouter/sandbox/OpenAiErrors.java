package dev.imagerouter.sandbox;

import io.micronaut.http.MutableHttpResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's error answers, in the {@code ErrorResponse} shape
 * {@code {"error":{"message","type","param","code"}}} with all four keys always present
 * (OpenAI WIRE.md §2.1). Each method names the §2.2 row it copies; "emulator" marks wording the
 * docs do not give verbatim.
 */
final class OpenAiErrors {

    private OpenAiErrors() {
    }

    static MutableHttpResponse<byte[]> error(int status, String message, String type, String param, String code) {
        Map<String, Object> error = SandboxJson.object();
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return SandboxHttp.raw(status, SandboxHttp.OPENAI_JSON, SandboxJson.bytes(Map.of("error", error)));
    }

    private static MutableHttpResponse<byte[]> invalid(String message, String param, String code) {
        return error(400, message, "invalid_request_error", param, code);
    }

    /** 404 for a route the API does not have, here: the sandbox is disabled. */
    static MutableHttpResponse<byte[]> invalidUrl(String method, String path) {
        return error(404, "Invalid URL (" + method + " " + path + ")", "invalid_request_error", null, null);
    }

    /** 401 without an {@code Authorization: Bearer} header. */
    static MutableHttpResponse<byte[]> missingKey() {
        return error(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using "
                + "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
                + "accessing the API from your browser and are prompted for a username and password. You can obtain an API key "
                + "from https://platform.openai.com/account/api-keys.", "invalid_request_error", null, "invalid_api_key");
    }

    /** 401 {@code invalid_api_key} (§2.2 row 401); the key is masked, never echoed. */
    static MutableHttpResponse<byte[]> incorrectKey(String key) {
        return error(401, "Incorrect API key provided: " + mask(key)
                + ". You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error", null, "invalid_api_key");
    }

    /**
     * Masks a key the way OpenAI does ({@code sk-VKMIs***…wjh3}): at most the first 8 and last 4
     * characters survive, and never more than a third of the key.
     */
    static String mask(String key) {
        int keep = Math.min(8, key.length() / 3);
        int tail = key.length() >= 16 ? 4 : 0;
        return key.substring(0, keep) + "*".repeat(Math.max(3, key.length() - keep - tail)) + key.substring(key.length() - tail);
    }

    /** 400 {@code unknown_parameter} (§2.2 row 3; also for unknown keys, OpenAI's general behaviour [?]). */
    static MutableHttpResponse<byte[]> unknownParameter(String param) {
        return invalid("Unknown parameter: '" + param + "'.", param, "unknown_parameter");
    }

    static MutableHttpResponse<byte[]> missingParameter(String param) {
        return invalid("Missing required parameter: '" + param + "'.", param, "missing_required_parameter");
    }

    static MutableHttpResponse<byte[]> invalidType(String param, String expected, String got) {
        return invalid("Invalid type for '" + param + "': expected " + expected + ", but got " + got + " instead.", param,
                "invalid_type");
    }

    /** 400 {@code invalid_value}, e.g. "Invalid value: '1254x836'. Supported values are: '1024x1024', … and 'auto'." (§2.2 row 4). */
    static MutableHttpResponse<byte[]> invalidValue(String param, String value, List<String> supported) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < supported.size(); i++) {
            s.append(i == 0 ? "" : (i == supported.size() - 1 ? (supported.size() > 2 ? ", and " : " and ") : ", "));
            s.append('\'').append(supported.get(i)).append('\'');
        }
        return invalid("Invalid value: '" + value + "'. Supported values are: " + s + ".", param, "invalid_value");
    }

    static MutableHttpResponse<byte[]> integerOutOfRange(String param, long value, long min, long max) {
        return value > max
                ? invalid("Invalid '" + param + "': integer above maximum value. Expected a value <= " + max + ", but got "
                        + value + " instead.", param, "integer_above_max_value")
                : invalid("Invalid '" + param + "': integer below minimum value. Expected a value >= " + min + ", but got "
                        + value + " instead.", param, "integer_below_min_value");
    }

    static MutableHttpResponse<byte[]> stringTooLong(String param, int max, int length) {
        return invalid("Invalid '" + param + "': string too long. Expected a string with maximum length " + max
                + ", but got a string with length " + length + " instead.", param, "string_above_max_length");
    }

    /** 400 for a body that is not a JSON object. */
    static MutableHttpResponse<byte[]> invalidJson() {
        return invalid("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
                + "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have "
                + "trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", null, null);
    }

    /** 400 for a request combination the emulator rejects (emulator wording). */
    static MutableHttpResponse<byte[]> unsupported(String param, String message) {
        return invalid(message, param, "invalid_value");
    }

    /**
     * 400 {@code invalid_value}, type {@code image_generation_user_error}, param {@code size}
     * (GPT-IMAGE-2.md §2: "Invalid size '1792x936'. Width and height must both be divisible by 16.";
     * {@code why} for the other size rules is emulator wording in the same pattern).
     */
    static MutableHttpResponse<byte[]> invalidSize(String size, String why) {
        return error(400, "Invalid size '" + size + "'. " + why, "image_generation_user_error", "size", "invalid_value");
    }

    /**
     * 400 {@code invalid_value} for {@code background: transparent} on a model (or organisation) without
     * transparency (GPT-IMAGE-2.md §2, [3P]; the param is unconfirmed, here {@code background}).
     */
    static MutableHttpResponse<byte[]> transparentUnsupported() {
        return error(400, "Transparent background is not supported for this model.", "image_generation_user_error",
                "background", "invalid_value");
    }

    /**
     * 404 {@code model_not_found} for a shut-down or unknown model (GPT-IMAGE-2.md §2, the first of
     * the two [3P] message patterns; the text after the 2026 shutdowns is unconfirmed).
     */
    static MutableHttpResponse<byte[]> modelNotFound(String model) {
        return error(404, "The model `" + model + "` does not exist or you do not have access to it.", "invalid_request_error",
                null, "model_not_found");
    }

    /** 429 {@code rate_limit_exceeded}, type {@code requests}, with {@code retry-after: 1} (§2.2, §2.3). */
    static MutableHttpResponse<byte[]> rateLimited(String model) {
        return error(429, "Rate limit reached for " + model + " in organization " + SandboxKeys.OPENAI_ORGANIZATION
                + " on images per minute (IPM): Limit 5, Used 5, Requested 1. Please try again in 1s. "
                + "Visit https://platform.openai.com/account/rate-limits to learn more.", "requests", null, "rate_limit_exceeded")
                .header("retry-after", "1");
    }

    /** 429 {@code insufficient_quota}, no retry-after (§2.2, §5). */
    static MutableHttpResponse<byte[]> insufficientQuota() {
        return error(429, "You exceeded your current quota, please check your plan and billing details. For more information "
                + "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                "insufficient_quota", null, "insufficient_quota");
    }

    /** 500 {@code server_error} (§2.2). */
    static MutableHttpResponse<byte[]> serverError() {
        return error(500, "The server had an error while processing your request. Sorry about that!", "server_error", null, null);
    }

    /** 503 with a non-JSON body (§2.2 last row). */
    static MutableHttpResponse<byte[]> overloaded() {
        return SandboxHttp.raw(503, "text/plain; charset=utf-8",
                "The engine is currently overloaded, please try again later".getBytes(StandardCharsets.UTF_8));
    }

    /** 400 {@code moderation_blocked}, type {@code image_generation_user_error} (§2.2 row 1). */
    static MutableHttpResponse<byte[]> moderationBlocked(String requestId) {
        return error(400, "Your request was rejected by the safety system. If you believe this is an error, contact us at "
                + "help.openai.com and include the request ID " + requestId + ". safety_violations=[sexual].",
                "image_generation_user_error", null, "moderation_blocked");
    }

    /** 400 {@code content_policy_violation}, the DALL·E-era body (§2.2 row 2). */
    static MutableHttpResponse<byte[]> contentPolicyViolation() {
        return invalid("Your request was rejected as a result of our safety system. Your prompt may contain text that is not "
                + "allowed by our safety system.", null, "content_policy_violation");
    }

    /** 403 organization not verified (§2.2 row 403). */
    static MutableHttpResponse<byte[]> organizationNotVerified(String model) {
        return error(403, "Your organization must be verified to use the model `" + model + "`. Please go to: "
                + "https://platform.openai.com/settings/organization/general and click on Verify Organization. If you just "
                + "verified, it can take up to 15 minutes for access to propagate.", "invalid_request_error", null, null);
    }

    /** 400 for an {@code X-Sandbox-Fault} header that does not parse, or a fault OpenAI does not know (sandbox only). */
    static MutableHttpResponse<byte[]> badFaultHeader(String why) {
        return invalid("invalid " + SandboxKeys.FAULT_HEADER + " header: " + why, SandboxKeys.FAULT_HEADER, "sandbox_fault_invalid");
    }
}
