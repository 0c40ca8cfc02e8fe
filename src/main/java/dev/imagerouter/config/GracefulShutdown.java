package dev.imagerouter.config;

import dev.imagerouter.jobs.JobService;
import dev.imagerouter.routing.Draining;
import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.ProviderRegistry;
import io.micronaut.context.BeanProvider;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.env.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.time.Duration;
import java.util.Map;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * Graceful shutdown: SIGTERM (or SIGINT) → drain → exit 0
 * -------------------------------------------------------
 * Phase 1, ours, the listener still open:
 *   Draining starts: readiness goes DOWN (entry "shutdown"); a request that would call a provider or
 *   create a job is answered 503 shutting_down with Retry-After; cache hits, files, job reads, the
 *   Leonardo webhook, /health, /prometheus and, in sandbox mode, the in-process emulators keep
 *   serving (the generations in flight poll them on this same port). JobService stops its walks at
 *   their next provider boundary (queued jobs stay queued in the store). Then we wait until no
 *   generation is in flight (GenerationService) and no provider slot is taken (calls under way,
 *   accepted Leonardo jobs including late ones), for at most router.shutdown.grace (read when the
 *   signal arrives). A second signal ends the wait at once. When the wait ends the job store is
 *   frozen (nothing of the teardown may mark a job failed or drop its generationId: an accepted job
 *   still running is resumed by that id after the restart), generations still in flight are answered
 *   503 shutting_down instead of being cut off, and System.exit(0) runs the JVM's shutdown hooks.
 * Phase 2, Micronaut's: its shutdown hook stops the server (the listener closes) and, with
 *   micronaut.lifecycle.graceful-shutdown enabled (src/main/resources/application.yml, grace-period
 *   5 s), lets the responses still being written finish and closes idle connections; then the beans
 *   are destroyed (StorageShutdown lets image writes finish, JobStore.close writes what is queued).
 *   Netty's own quiet period (of the event loops, at the very end) stays at Micronaut's defaults: by
 *   then both phases have drained the work, so a longer quiet period would only delay the exit.
 *
 * Why our own signal handler and not only the framework's graceful shutdown: Micronaut 4.10's
 * GracefulShutdownListener runs on the ShutdownEvent, which its JVM shutdown hook publishes after it
 * has stopped the server's acceptor, and its first step closes the listening socket. Tried with it
 * alone (grace-period 30s): a request sent during the grace was refused at the TCP level (no 503, no
 * readiness answer), in sandbox mode the generation in flight could not poll the emulators on the same
 * port and timed out after 30 s instead of finishing in 4 s, and the process exited 143. JVM shutdown
 * hooks run in no set order, so a hook of ours could not run before Micronaut's; the only point that
 * comes first is the signal itself. The framework keeps the part it does well: phase 2.
 *
 * Signals are handled only in the process started by Application.main (property HANDLE_SIGNALS), never
 * in a test's JVM that embeds the router. SIGKILL (and an orchestrator's kill after its timeout) is
 * what it always was; the job store is durable either way.
 */
/** Drains the router on SIGTERM/SIGINT, then exits 0; see the block comment. */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Context
public class GracefulShutdown {

    /** Micronaut property that {@code Application.main} sets: only that process handles the signals. */
    public static final String HANDLE_SIGNALS = "image-router.handle-signals";

    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);
    private static final long POLL_MILLIS = 50;
    private static final long PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final BeanProvider<RouterRuntime> runtime;
    private final BeanProvider<Draining> draining;
    private final BeanProvider<GenerationService> generations;
    private final BeanProvider<JobService> jobs;
    private final BeanProvider<ProviderRegistry> registry;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch hurry = new CountDownLatch(1);

    /**
     * Created with the context, so the signals are taken over before the server listens (a SIGTERM
     * during startup then drains nothing and exits 0). The collaborators are looked up when used.
     */
    public GracefulShutdown(BeanProvider<RouterRuntime> runtime, BeanProvider<Draining> draining,
                            BeanProvider<GenerationService> generations, BeanProvider<JobService> jobs,
                            BeanProvider<ProviderRegistry> registry, Environment environment) {
        this.runtime = runtime;
        this.draining = draining;
        this.generations = generations;
        this.jobs = jobs;
        this.registry = registry;
        if (environment.getProperty(HANDLE_SIGNALS, Boolean.class).orElse(false)) {
            handleSignals();
        }
    }

    private void handleSignals() {
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal.handle(new Signal(name), this::onSignal);
            } catch (IllegalArgumentException e) {
                LOG.warn("SIG{} cannot be handled here ({}); it stops the router without draining", name, e.getMessage());
            }
        }
    }

    private void onSignal(Signal signal) {
        String name = "SIG" + signal.getName();
        if (!started.compareAndSet(false, true)) {
            LOG.warn("{} again: the rest of the grace is skipped", name);
            hurry.countDown();
            return;
        }
        Thread drainer = new Thread(() -> {
            int status = 0;
            try {
                drain(name);
            } catch (RuntimeException | Error e) {
                LOG.error("shutdown: draining failed ({}); stopping now", e.toString());
                status = 1;
            }
            System.exit(status); // runs the shutdown hooks: Micronaut's stops the server and the beans (phase 2)
        }, "shutdown-drain");
        drainer.start();
    }

    /** Phase 1: drains, then returns (the caller exits). */
    void drain(String reason) {
        Duration grace = runtime.get().config().shutdown().grace();
        long start = System.nanoTime();
        draining.get().start(grace);
        jobs.get().stopStarting();
        LOG.info("{}: shutting down; readiness is DOWN and nothing new that costs money starts (503 shutting_down);"
                + " the work in flight ({}) gets up to {} ms to finish", reason, describe(), grace.toMillis());
        long deadline = start + grace.toNanos();
        long nextReport = start + PROGRESS_NANOS;
        boolean hurried = false;
        while (inFlight() > 0 && !hurried) {
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                break;
            }
            if (now - nextReport >= 0) {
                LOG.info("shutdown: still in flight: {}", describe());
                nextReport = now + PROGRESS_NANOS;
            }
            try {
                hurried = hurry.await(Math.min(POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(deadline - now) + 1),
                        TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        jobs.get().freeze(); // before anything fails: no job record changes from here on
        if (inFlight() > 0) {
            LOG.warn("shutdown: {} with {} still in flight; waiting synchronous requests are answered 503 shutting_down,"
                    + " accepted jobs of asynchronous requests stay in the job store and are resumed by their id after the"
                    + " restart", hurried ? "the grace was cut short" : "the grace (" + grace.toMillis() + " ms) is over", describe());
        }
        generations.get().abandonInFlight();
        LOG.info("shutdown: drained in {} ms; stopping the server", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private int inFlight() {
        return generations.get().inFlight() + slotsInUse();
    }

    private int slotsInUse() {
        // the providers of one account share one bulkhead: count each account's slots once
        Map<String, Integer> byAccount = new java.util.HashMap<>();
        registry.get().handles().values().forEach(h -> byAccount.putIfAbsent(h.config().limitKey(), h.slotsInUse()));
        return byAccount.values().stream().mapToInt(Integer::intValue).sum();
    }

    private String describe() {
        return generations.get().inFlight() + " generation(s), " + slotsInUse() + " provider call(s) or accepted job(s)";
    }
}
