package dev.imagerouter;

import io.micronaut.runtime.Micronaut;

/** Entry point: starts the router (and, in sandbox mode, the provider emulators) on one HTTP server. */
public final class Application {

    private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
    private static final String HTTP_CLIENT_KEEPALIVE = "jdk.httpclient.keepalive.timeout";

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
        // The JDK HTTP client (the OpenAI transport) keeps an idle connection for 1200 s by default and
        // finds a pooled connection by a linear scan of every idle one: after a burst of thousands of
        // generations each later request paid for scanning them (seen in a CPU profile of the overhead
        // benchmark). 30 s keeps a warm connection between steady requests and lets a burst drain away;
        // it also makes reusing a connection the provider has already closed less likely.
        if (System.getProperty(HTTP_CLIENT_KEEPALIVE) == null) {
            System.setProperty(HTTP_CLIENT_KEEPALIVE, "30");
        }
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
