package dev.imagerouter;

import io.micronaut.runtime.Micronaut;

/**
 * Entry point: starts the router (and, in sandbox mode, the provider emulators) on one HTTP server;
 * with the first argument {@code emulators}, starts the emulators alone ({@code /sandbox/**} and
 * {@code /health}, Micronaut environment {@code emulators}).
 */
public final class Application {

    private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
    /** The log format's variable (environment or system property); logback.xml reads it. */
    static final String LOG_FORMAT = "ROUTER_LOG_FORMAT";
    /** The log format as a configuration key ({@code -Drouter.log.format=json}). */
    static final String LOG_FORMAT_KEY = "router.log.format";

    private Application() {
    }

    public static void main(String[] args) {
        // Before anything logs: logback reads the format when the first logger is made. An unknown
        // value would leave the log without an appender, so it stops the start instead.
        String format;
        try {
            format = logFormat(System::getenv, System.getProperties());
        } catch (IllegalArgumentException e) {
            System.err.println("image-router: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.setProperty(LOG_FORMAT, format); // system properties come before the environment in logback.xml
        // an exception that escapes a thread goes to the log (one JSON object in json format), not to stderr
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> org.slf4j.LoggerFactory.getLogger(Application.class)
                .error("uncaught exception in thread {}", dev.imagerouter.vocabulary.LogText.escape(thread.getName()), e));
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

    /**
     * The log format, {@code text} (default) or {@code json}: the environment variable
     * {@code ROUTER_LOG_FORMAT}, else the system property of that name, else {@code router.log.format}
     * (environment before system properties, as for every override); case and surrounding blanks ignored.
     *
     * @throws IllegalArgumentException for any other value
     */
    static String logFormat(java.util.function.Function<String, String> getenv, java.util.Properties system) {
        String value = java.util.stream.Stream.of(getenv.apply(LOG_FORMAT), system.getProperty(LOG_FORMAT),
                        system.getProperty(LOG_FORMAT_KEY))
                .filter(v -> v != null && !v.isBlank()).findFirst().orElse("text").trim().toLowerCase(java.util.Locale.ROOT);
        if (!value.equals("text") && !value.equals("json")) {
            throw new IllegalArgumentException(LOG_FORMAT + " (or " + LOG_FORMAT_KEY + ") must be text or json, not \""
                    + dev.imagerouter.vocabulary.LogText.escape(value) + "\"");
        }
        return value;
    }
}
