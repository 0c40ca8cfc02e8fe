package dev.imagerouter.alerts;

import dev.imagerouter.config.ConfigNode;

import java.net.URI;
import java.time.Duration;
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
 */
public record AlertSettings(Optional<URI> webhookUrl, Duration timeout, int retries, Duration retryBackoff,
                            Duration minInterval) {

    public static AlertSettings defaults() {
        return new AlertSettings(Optional.empty(), Duration.ofSeconds(5), 3, Duration.ofSeconds(1), Duration.ofMinutes(10));
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
                node.duration("retry-backoff", d.retryBackoff()), node.duration("min-interval", d.minInterval()));
    }

    @Override
    public String toString() {
        return "AlertSettings[webhook=" + webhookUrl.map(u -> u.getScheme() + "://" + u.getHost() + "/…").orElse("none")
                + ", timeout=" + timeout + ", retries=" + retries + ", retryBackoff=" + retryBackoff
                + ", minInterval=" + minInterval + "]";
    }
}
