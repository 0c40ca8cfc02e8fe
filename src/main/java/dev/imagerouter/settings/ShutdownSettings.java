package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;

import java.time.Duration;

/**
 * Graceful shutdown settings ({@code router.shutdown.*}).
 *
 * @param grace how long, after SIGTERM (or SIGINT), the router lets the work in flight finish before
 *              it stops: synchronous generations, provider calls and accepted provider jobs (default
 *              30 s; {@code 0s} stops at once). Read when the signal arrives, so a reload changes it.
 */
public record ShutdownSettings(Duration grace) {

    /** The default grace: long enough for most Leonardo jobs, short of a typical orchestrator's kill. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);

    /** Reads {@code router.shutdown.*}; bad values are reported on the node's errors. */
    public static ShutdownSettings read(ConfigNode shutdown) {
        return new ShutdownSettings(shutdown.duration("grace", DEFAULT_GRACE));
    }
}
