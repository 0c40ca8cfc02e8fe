package dev.imagerouter;

import io.micronaut.runtime.Micronaut;

/**
 * Entry point: starts the router (and, in sandbox mode, the provider emulators) on one HTTP server;
 * with the first argument {@code emulators}, starts the emulators alone ({@code /sandbox/**} and
 * {@code /health}, Micronaut environment {@code emulators}).
 */
public final class Application {

    private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private Application() {
    }

    public static void main(String[] args) {
        // CompletableFuture's *Async stages without an executor (the OpenAI SDK uses them) run on the
        // common pool only when its parallelism is at least 2; below that every stage starts a new
        // thread. On a 2-core machine the common pool's default parallelism is 1: raise it, so the
        // thread count stays flat however many generations are in flight.
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
        }
        if (args.length > 0 && "emulators".equals(args[0])) {
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            Micronaut.build(rest).mainClass(Application.class).environments("emulators").banner(false).start();
            return;
        }
        // this process (not a test's JVM that embeds the router) drains on SIGTERM/SIGINT, then exits 0
        Micronaut.build(args).mainClass(Application.class).banner(false)
                .properties(java.util.Map.of(dev.imagerouter.config.GracefulShutdown.HANDLE_SIGNALS, true)).start();
    }
}
