package dev.imagerouter.provider.leonardo;

import dev.imagerouter.configtree.ConfigNode;

import java.time.Duration;

/**
 * How an accepted Leonardo job is tracked to its end, the same for {@code leonardo} (v1 create) and
 * {@code leonardo-v2} (v2 create) files: both read the result from v1 {@code GET /generations/{id}}
 * (shared/specs/leonardo/UPDATES-2026.md §1.2) and may hear Leonardo's completion callback.
 * <pre>
 * poll:
 *   initial-delay: 1s        # first poll after the create
 *   max-delay: 5s            # longest delay between polls
 *   multiplier: 1.5          # backoff factor between polls
 *   jitter: 0.2              # relative random spread of each delay, 0..1
 * webhook:
 *   enabled: false           # callbacks reach this router: polling then starts later, as the fallback
 *   poll-initial-delay: 5s   # first poll when callbacks are enabled
 * job-max-age: 10m           # an accepted job is tracked this long after its create, then given up (paid, unused)
 * </pre>
 *
 * @param pollInitialDelay        first poll after the create; default 1 s
 * @param pollMaxDelay            longest delay between polls; default 5 s
 * @param pollMultiplier          backoff factor between polls, 1..10; default 1.5
 * @param pollJitter              relative random spread of each poll delay, 0..1; default 0.2
 * @param webhookEnabled          whether Leonardo's completion callbacks reach this router; default false
 * @param webhookPollInitialDelay first poll after the create when callbacks are enabled; default 5 s
 * @param jobMaxAge               how long an accepted job is tracked after its create; default 10 min
 */
public record LeonardoJobSettings(Duration pollInitialDelay, Duration pollMaxDelay, double pollMultiplier, double pollJitter,
                                  boolean webhookEnabled, Duration webhookPollInitialDelay, Duration jobMaxAge) {

    /** How long an accepted job is tracked by default. */
    public static final Duration DEFAULT_JOB_MAX_AGE = Duration.ofMinutes(10);

    /** The first poll's delay: later when callbacks are expected, since polling is then only the fallback. */
    public Duration firstPollDelay() {
        return webhookEnabled ? webhookPollInitialDelay : pollInitialDelay;
    }

    /** Reads {@code poll:}, {@code webhook:} and {@code job-max-age} of a provider file; problems go to the node's error list. */
    public static LeonardoJobSettings read(ConfigNode node) {
        ConfigNode poll = node.child("poll");
        ConfigNode webhook = node.child("webhook");
        return new LeonardoJobSettings(
                poll.duration("initial-delay", Duration.ofSeconds(1)),
                poll.duration("max-delay", Duration.ofSeconds(5)),
                poll.decimal("multiplier", 1.5, 1.0, 10.0),
                poll.decimal("jitter", 0.2, 0.0, 1.0),
                webhook.bool("enabled", false),
                webhook.duration("poll-initial-delay", Duration.ofSeconds(5)),
                node.duration("job-max-age", DEFAULT_JOB_MAX_AGE));
    }
}
