package dev.imagerouter.sandbox;

import io.micronaut.http.MutableHttpResponse;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What each fault does to Leonardo {@code POST /generations} (faults are chosen on the create only, never
 * on polls or the CDN; {@code GET /me} honours a few of them, see {@code LeonardoController.me};
 * {@code malformed}, {@code timeout}, {@code failed}, {@code noimages}, {@code poll_500} and {@code late}
 * mark the job so that its later polls show them).
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
 *   <tr><td>poll_500</td><td>created; the job's first {@value LeonardoJobs#POLL_500_COUNT} polls answer 500 "internal
 *       error", later ones answer normally and the job completes as usual</td></tr>
 *   <tr><td>cdn_500</td><td>created and completes as usual; the first {@value LeonardoJobs#CDN_500_COUNT} CDN fetches of
 *       its images answer 500</td></tr>
 *   <tr><td>late</td><td>created; the job stays PENDING for the calling instance's timeout (from
 *       {@code X-Sandbox-Provider}, see {@link SandboxState#providerTimeout}; {@link SandboxSettings#lateTimeout()}
 *       when unknown) plus {@link SandboxSettings#lateAfter()} from its creation, then completes</td></tr>
 * </table>
 * Bodies are those of {@link LeonardoErrors}. A job that waits for a processing slot ({@link LeonardoSlots}) starts its
 * timing, the fault's as the usual draw, when it gets the slot.
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

    /**
     * The PENDING phase of a job created under {@code fault} when the fault fixes it, else empty (the usual draw).
     * {@code late}: {@code instanceTimeout} (or {@link SandboxSettings#lateTimeout()} when empty) plus
     * {@link SandboxSettings#lateAfter()}.
     */
    static Optional<Duration> pendingPhase(SandboxFault fault, Optional<Duration> instanceTimeout, SandboxSettings settings) {
        if (fault != SandboxFault.LATE) {
            return Optional.empty();
        }
        return Optional.of(instanceTimeout.orElse(settings.lateTimeout()).plus(settings.lateAfter()));
    }

    /** How many first polls of a job created under {@code fault} (null = none) answer 500. */
    static int failingPolls(SandboxFault fault) {
        return fault == SandboxFault.POLL_500 ? LeonardoJobs.POLL_500_COUNT : 0;
    }
}
