package dev.imagerouter.sandbox;

import io.micronaut.http.MutableHttpResponse;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * What each fault does to Leonardo {@code POST /generations} (faults never touch polls or the CDN
 * directly; {@code GET /me} honours a few of them, see {@code LeonardoController.me}; {@code malformed}, {@code timeout}, {@code failed} and {@code noimages} mark
 * the job so that its later polls show them).
 *
 * <table>
 *   <tr><th>fault</th><th>effect</th></tr>
 *   <tr><td>429</td><td>429 {@code rate-limit-exceeded}, no Retry-After</td></tr>
 *   <tr><td>500</td><td>500 "internal error"</td></tr>
 *   <tr><td>503</td><td>503 HTML page</td></tr>
 *   <tr><td>quota</td><td>400 "not enough api tokens userId: …"</td></tr>
 *   <tr><td>moderation</td><td>{@link SandboxSettings#leonardoModerationStatus()} "content moderation filter: nude"</td></tr>
 *   <tr><td>auth</td><td>401 access-denied</td></tr>
 *   <tr><td>model</td><td>400 "&lt;modelId&gt; is not supported within the Production API…"</td></tr>
 *   <tr><td>reset</td><td>TCP reset, no response (see {@link SandboxHttp})</td></tr>
 *   <tr><td>slow</td><td>the normal answer, {@link SandboxSettings#slowDelay()} late</td></tr>
 *   <tr><td>timeout</td><td>created; the job stays PENDING forever</td></tr>
 *   <tr><td>failed</td><td>created; the job ends FAILED</td></tr>
 *   <tr><td>noimages</td><td>created; the job ends COMPLETE with {@code generated_images: []}</td></tr>
 *   <tr><td>malformed</td><td>created; every poll answers 200 with truncated JSON</td></tr>
 * </table>
 * Bodies are those of {@link LeonardoErrors}.
 */
final class LeonardoFaults {

    private LeonardoFaults() {
    }

    /** The answer replacing the create for faults that refuse it; empty for faults that let the create through. */
    static Optional<MutableHttpResponse<byte[]>> immediate(SandboxFault fault, SandboxSettings settings, Supplier<String> modelId) {
        return Optional.ofNullable(switch (fault) {
            case RATE_LIMITED -> LeonardoErrors.rateLimited();
            case SERVER_ERROR -> LeonardoErrors.internalError();
            case UNAVAILABLE -> LeonardoErrors.unavailable();
            case QUOTA -> LeonardoErrors.notEnoughTokens();
            case MODERATION -> LeonardoErrors.moderation(settings.leonardoModerationStatus());
            case AUTH -> LeonardoErrors.unauthorized();
            case MODEL -> LeonardoErrors.modelNotSupported(modelId.get());
            case BAD_REQUEST -> LeonardoErrors.invalidDimensions();
            default -> null;
        });
    }

    /** The end state of a job created under {@code fault} (null = no fault). */
    static LeonardoJob.Outcome outcome(SandboxFault fault) {
        if (fault == null) {
            return LeonardoJob.Outcome.COMPLETE;
        }
        return switch (fault) {
            case TIMEOUT -> LeonardoJob.Outcome.NEVER;
            case FAILED -> LeonardoJob.Outcome.FAILED;
            case NO_IMAGES -> LeonardoJob.Outcome.NO_IMAGES;
            default -> LeonardoJob.Outcome.COMPLETE;
        };
    }
}
