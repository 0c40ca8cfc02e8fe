package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Where alerts go and how hard the router tries, from {@code router.alerts} in config/application.yml.
 *
 * @param webhookUrl   an http(s) URL that receives each alert as a JSON POST (Slack-compatible {@code text}),
 *                     or empty for the log only; treated as a secret (Slack webhook paths carry a token)
 * @param timeout      longest wait for one webhook delivery
 * @param retries      further deliveries after a failed one (0..10)
 * @param retryBackoff delay before the first retry, doubled for each later one
 * @param minInterval  the shortest time between two alerts for the same (alert, provider) raised by failures
 *                     (QUOTA_EXHAUSTED, AUTH_FAILED, MODEL_UNAVAILABLE, ...); repeats within it are counted, not sent
 * @param modelShutdownLeadTimes how long before a model's shutdown date (00:00 UTC) MODEL_SHUTDOWN_SOON fires, longest
 *                     first, each positive ({@code model-shutdown-lead-times}, default 30d, 7d, 1d); empty: never
 */
public record AlertSettings(Optional<URI> webhookUrl, Duration timeout, int retries, Duration retryBackoff,
                            Duration minInterval, List<Duration> modelShutdownLeadTimes) {

    /** Default lead times of MODEL_SHUTDOWN_SOON: a month, a week and a day before the date. */
    public static final List<Duration> DEFAULT_MODEL_SHUTDOWN_LEAD_TIMES = List.of(Duration.ofDays(30), Duration.ofDays(7),
            Duration.ofDays(1));

    public AlertSettings {
        modelShutdownLeadTimes = modelShutdownLeadTimes == null ? DEFAULT_MODEL_SHUTDOWN_LEAD_TIMES
                : modelShutdownLeadTimes.stream().distinct().sorted(Comparator.reverseOrder()).toList();
    }

    public static AlertSettings defaults() {
        return new AlertSettings(Optional.empty(), Duration.ofSeconds(5), 3, Duration.ofSeconds(1), Duration.ofMinutes(10),
                DEFAULT_MODEL_SHUTDOWN_LEAD_TIMES);
    }

    /** Reads {@code router.alerts}; problems go to the node's error list. */
    public static AlertSettings read(ConfigNode node) {
        AlertSettings d = defaults();
        Optional<URI> url = Optional.empty();
        Optional<String> text = node.optionalString("webhook-url");
        if (text.isPresent()) {
            try {
                URI uri = URI.create(text.get());
                if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                    throw new IllegalArgumentException("not an http(s) URL");
                }
                url = Optional.of(uri);
            } catch (IllegalArgumentException e) {
                // the value may hold a token: name the key, not the value
                node.problem("webhook-url", "(hidden)", "an http(s) URL or empty (ALERT_WEBHOOK_URL)");
            }
        }
        Duration timeout = node.positiveDuration("timeout", d.timeout());
        return new AlertSettings(url, timeout, node.integer("retries", d.retries(), 0, 10),
                node.duration("retry-backoff", d.retryBackoff()), node.duration("min-interval", d.minInterval()),
                leadTimes(node));
    }

    /** {@code model-shutdown-lead-times}: a list (or comma-separated string) of positive durations such as 30d. */
    private static List<Duration> leadTimes(ConfigNode node) {
        List<String> texts = node.stringList("model-shutdown-lead-times", null);
        if (texts == null) {
            return DEFAULT_MODEL_SHUTDOWN_LEAD_TIMES;
        }
        List<Duration> out = new ArrayList<>();
        for (String text : texts) {
            Optional<Duration> d = ConfigNode.parseDuration(text);
            if (d.isEmpty() || d.get().isZero()) {
                node.problem("model-shutdown-lead-times", texts, "a list of positive durations such as [30d, 7d, 1d]");
                return DEFAULT_MODEL_SHUTDOWN_LEAD_TIMES;
            }
            out.add(d.get());
        }
        return out;
    }

    @Override
    public String toString() {
        return "AlertSettings[webhook=" + webhookUrl.map(u -> u.getScheme() + "://" + u.getHost() + "/…").orElse("none")
                + ", timeout=" + timeout + ", retries=" + retries + ", retryBackoff=" + retryBackoff
                + ", minInterval=" + minInterval + ", modelShutdownLeadTimes=" + modelShutdownLeadTimes + "]";
    }
}
