package dev.imagerouter.sandbox;

import io.micronaut.http.MutableHttpResponse;

import java.util.Optional;

/**
 * What each fault does to OpenAI {@code POST /images/generations}.
 *
 * <table>
 *   <tr><th>fault</th><th>effect</th></tr>
 *   <tr><td>429</td><td>429 {@code rate_limit_exceeded} (type {@code requests}) with {@code retry-after: 1}</td></tr>
 *   <tr><td>quota / insufficient_quota</td><td>429 {@code insufficient_quota}, no retry-after</td></tr>
 *   <tr><td>500</td><td>500 {@code server_error}</td></tr>
 *   <tr><td>503</td><td>503 text/plain "The engine is currently overloaded, please try again later"</td></tr>
 *   <tr><td>moderation / moderation_blocked</td><td>400 {@code image_generation_user_error} / {@code moderation_blocked}</td></tr>
 *   <tr><td>content_policy_violation</td><td>400 {@code invalid_request_error} / {@code content_policy_violation}</td></tr>
 *   <tr><td>auth</td><td>401 {@code invalid_api_key}, key masked</td></tr>
 *   <tr><td>forbidden</td><td>403 organization must be verified</td></tr>
 *   <tr><td>model / model_not_found</td><td>404 {@code model_not_found} for the requested model</td></tr>
 *   <tr><td>malformed</td><td>200 with {@code data: [{}, …]} (no {@code b64_json})</td></tr>
 *   <tr><td>slow</td><td>the normal answer, {@link SandboxSettings#slowDelay()} later than usual</td></tr>
 *   <tr><td>timeout</td><td>no answer for {@link OpenAiController#HANG} (then, or at shutdown, a 500)</td></tr>
 *   <tr><td>reset</td><td>TCP reset, no response (see {@link SandboxHttp})</td></tr>
 * </table>
 * Bodies are those of {@link OpenAiErrors} (OpenAI WIRE.md §2.2).
 */
final class OpenAiFaults {

    private OpenAiFaults() {
    }

    /**
     * The answer replacing the generation for faults that refuse it; empty for {@code malformed},
     * {@code slow}, {@code timeout} and {@code reset}, which the controller handles.
     */
    static Optional<MutableHttpResponse<byte[]>> immediate(SandboxFault fault, String model, String key, String requestId) {
        return Optional.ofNullable(switch (fault) {
            case RATE_LIMITED -> OpenAiErrors.rateLimited(model);
            case QUOTA -> OpenAiErrors.insufficientQuota();
            case SERVER_ERROR -> OpenAiErrors.serverError();
            case UNAVAILABLE -> OpenAiErrors.overloaded();
            case MODERATION -> OpenAiErrors.moderationBlocked(requestId);
            case CONTENT_POLICY -> OpenAiErrors.contentPolicyViolation();
            case AUTH -> OpenAiErrors.incorrectKey(key);
            case FORBIDDEN -> OpenAiErrors.organizationNotVerified(model);
            case BAD_REQUEST -> OpenAiErrors.invalidSize("1792x936", "Width and height must both be divisible by 16.");
            case MODEL -> OpenAiErrors.modelNotFound(model);
            default -> null;
        });
    }
}
