package dev.imagerouter.sandbox;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpResponse;
import jakarta.inject.Singleton;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The second half of a Leonardo create, the same for v1 ({@link LeonardoController}) and v2
 * ({@link LeonardoV2Controller}) once the body is valid: the account's pending-job bound and processing
 * slots (shared by v1 and v2 jobs), the balance debit, the job in the one job store, its completion
 * callback, and the create's answer. Runs on the event loop and never blocks.
 */
@Singleton
final class LeonardoJobCreation {

    private final SandboxState state;
    private final SandboxStats stats;
    private final LeonardoJobs jobs;
    private final SandboxScheduler scheduler;
    private final LeonardoWebhookSender webhooks;

    LeonardoJobCreation(SandboxState state, SandboxStats stats, LeonardoJobs jobs, SandboxScheduler scheduler,
                        LeonardoWebhookSender webhooks) {
        this.state = state;
        this.stats = stats;
        this.jobs = jobs;
        this.scheduler = scheduler;
        this.webhooks = webhooks;
    }

    /**
     * Admits and creates the job of a valid create.
     *
     * @param request  the create (its base URL and port name the job's image URLs)
     * @param req      the validated request
     * @param fault    the fault chosen for this create, if any (it marks the job: {@code late}, {@code failed}, …)
     * @param provider the router's instance name ({@code X-Sandbox-Provider}), for its timeout
     * @param answer   the create's 200 body for the job (v1 {@code sdGenerationJob}, v2 {@code generate})
     * @return 200 with that body (after {@code slowDelay} under the {@code slow} fault); 429 when the
     *         account's pending jobs are at their bound; 402-style "not enough tokens" when the balance
     *         cannot pay {@code creditsPerImage × num_images} (nothing is charged for a refused job)
     */
    CompletableFuture<HttpResponse<?>> create(HttpRequest<?> request, LeonardoRequest req, @Nullable SandboxFault fault,
                                              String provider, Function<LeonardoJob, byte[]> answer) {
        SandboxSettings settings = state.settings();
        BigDecimal cost = settings.creditsPerImage().multiply(BigDecimal.valueOf(req.numImages()));
        LeonardoJob.Outcome outcome = LeonardoFaults.outcome(fault);
        Optional<Duration> faultPending = LeonardoFaults.pendingPhase(fault, state.providerTimeout(provider), settings);
        // the pending bound, the debit and the draw are one decision: nothing is charged or drawn for a refused job
        LeonardoSlots.Admission admission = state.leonardoSlots().admit(settings.leonardoLimits(),
                outcome == LeonardoJob.Outcome.NEVER, () -> state.leonardoAccount().debit(cost)
                        .map(balance -> faultPending.orElseGet(() -> LeonardoJobs.drawPending(settings, state.random()))));
        if (admission.status() == LeonardoSlots.Status.QUEUE_FULL) {
            stats.leonardoQueueFull();
            return CompletableFuture.completedFuture(LeonardoErrors.rateLimited());
        }
        if (admission.status() == LeonardoSlots.Status.NOT_CHARGED) {
            return CompletableFuture.completedFuture(LeonardoErrors.notEnoughTokens());
        }
        LeonardoJob job = jobs.create(req, cost, outcome, fault == SandboxFault.MALFORMED, admission.readyAtNanos(),
                LeonardoFaults.failingPolls(fault));
        if (fault == SandboxFault.CDN_500) {
            jobs.failCdnFetches(job.id(), LeonardoJobs.CDN_500_COUNT);
        }
        // a job that never completes is PENDING until the job store forgets it
        stats.leonardoAccepted(job.outcome() == LeonardoJob.Outcome.NEVER
                ? System.nanoTime() + LeonardoJobs.RETENTION.toNanos() : job.readyAtNanos(),
                admission.processingAtStart(), req.prompt());
        webhooks.schedule(job, SandboxHttp.baseUrl(request), request.getServerAddress().getPort(), settings);
        MutableHttpResponse<byte[]> created = SandboxHttp.raw(200, SandboxHttp.LEONARDO_JSON, answer.apply(job));
        if (fault == SandboxFault.SLOW) {
            return scheduler.<HttpResponse<?>>delayed(settings.slowDelay(), created);
        }
        return CompletableFuture.completedFuture(created);
    }
}
