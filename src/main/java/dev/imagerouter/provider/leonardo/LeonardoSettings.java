package dev.imagerouter.provider.leonardo;

import dev.imagerouter.configtree.ConfigNode;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Leonardo-specific settings of one provider file.
 *
 * @param alchemy          send {@code alchemy} (Phoenix "quality" mode); default true
 * @param contrast         {@code contrast}, one of 1.0, 1.3, 1.8, 2.5, 3, 3.5, 4, 4.5; with Phoenix and
 *                         alchemy it must be at least 2.5 (SDK, shared/specs/leonardo/WIRE.md §2.1); default 3.5
 * @param defaultStyle     {@code presetStyle} sent when the request names none, or empty
 * @param styleUuid        {@code styleUUID} sent when the request names no style, or empty
 * @param maxDimension     the largest width/height asked of Leonardo; larger requests are scaled down
 *                         (same aspect, multiples of 8) and the router resizes the result; default 1536
 * @param pollInitialDelay first poll after the create; default 1 s
 * @param pollMaxDelay     longest delay between polls; default 5 s
 * @param pollMultiplier   backoff factor between polls; default 1.5
 * @param pollJitter       relative random spread of each poll delay, 0..1; default 0.2
 * @param webhookEnabled   whether Leonardo's completion callbacks reach this router ({@code webhook.enabled});
 *                         then a callback ends the wait and polling, kept as the fallback, starts later; default false
 * @param webhookPollInitialDelay first poll after the create when webhooks are enabled; default 5 s
 * @param jobMaxAge        how long an accepted job is tracked after its create (polls, downloads), even
 *                         when the router's attempt has timed out and fallen back; then it is given up
 *                         (counted as paid, unused); default 10 min, at least the provider's timeout
 */
public record LeonardoSettings(boolean alchemy, double contrast, Optional<String> defaultStyle, Optional<String> styleUuid,
                               int maxDimension, Duration pollInitialDelay, Duration pollMaxDelay,
                               double pollMultiplier, double pollJitter, boolean webhookEnabled,
                               Duration webhookPollInitialDelay, Duration jobMaxAge) {

    /** How long an accepted job is tracked by default. */
    public static final Duration DEFAULT_JOB_MAX_AGE = LeonardoJobSettings.DEFAULT_JOB_MAX_AGE;

    /** Allowed {@code contrast} values, shared/specs/leonardo/WIRE.md §2.1. */
    public static final List<Double> CONTRASTS = List.of(1.0, 1.3, 1.8, 2.5, 3.0, 3.5, 4.0, 4.5);

    /** The first poll's delay: later when callbacks are expected, since polling is then only the fallback. */
    public Duration firstPollDelay() {
        return jobs().firstPollDelay();
    }

    /** How accepted jobs are tracked (polls, callbacks, job-max-age): the part shared with {@code leonardo-v2} files. */
    public LeonardoJobSettings jobs() {
        return new LeonardoJobSettings(pollInitialDelay, pollMaxDelay, pollMultiplier, pollJitter, webhookEnabled,
                webhookPollInitialDelay, jobMaxAge);
    }

    /** Reads and checks the settings; problems go to the node's error list. */
    public static LeonardoSettings read(ConfigNode node) {
        boolean alchemy = node.bool("alchemy", true);
        double contrast = node.decimal("contrast", 3.5, 1.0, 4.5);
        if (!CONTRASTS.contains(contrast)) {
            node.problem("contrast", contrast, "one of " + CONTRASTS);
        } else if (alchemy && contrast < 2.5) {
            node.problem("contrast", contrast, "at least 2.5 when alchemy is on");
        }
        Optional<String> presetStyle = node.optionalString("preset-style");
        Optional<String> styleUuid = node.optionalString("style-uuid");
        int maxDimension = node.integer("max-dimension", 1536, 256, 2048);
        LeonardoJobSettings jobs = LeonardoJobSettings.read(node);
        return new LeonardoSettings(alchemy, contrast, presetStyle, styleUuid, maxDimension, jobs.pollInitialDelay(),
                jobs.pollMaxDelay(), jobs.pollMultiplier(), jobs.pollJitter(), jobs.webhookEnabled(),
                jobs.webhookPollInitialDelay(), jobs.jobMaxAge());
    }
}
