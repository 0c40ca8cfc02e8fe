package dev.imagerouter.provider.leonardo;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Takes authenticated Leonardo callbacks (WIRE §5) and hands them to the waiting generations.
 *
 * <p>{@link #accept} only dedupes and queues, so the HTTP answer goes out at once; the delivery
 * ({@link LeonardoWebhooks#deliver}, which completes the wait and so starts the image downloads) runs
 * on the given executor. Deliveries are deduplicated by generation id and status in a bounded
 * Caffeine cache ({@value #MAX_REMEMBERED} ids, {@link #REMEMBER} each): Leonardo does not document
 * its retry policy, so a repeated callback must change nothing. Callbacks for generations nobody
 * waits on (finished, timed out, made by another client of the same Leonardo key) are ignored.
 * Only {@code COMPLETE} and {@code FAILED} are delivered; any other status leaves the wait to polling.
 *
 * <p>Every outcome is reported to {@code outcomes}: {@code duplicate} (synchronously), then
 * {@code delivered}, {@code unknown} or {@code ignored} (on the executor). Thread-safe.
 */
public final class LeonardoWebhookReceiver {

    static final long MAX_REMEMBERED = 100_000;
    static final Duration REMEMBER = Duration.ofHours(1);

    private final LeonardoWebhooks webhooks;
    private final Executor executor;
    private final Consumer<String> outcomes;
    private final Cache<String, Boolean> seen = Caffeine.newBuilder()
            .maximumSize(MAX_REMEMBERED)
            .expireAfterWrite(REMEMBER)
            .build();

    /**
     * @param executor runs deliveries; must not block (the router's scheduler)
     * @param outcomes receives each outcome's name, for metrics
     */
    public LeonardoWebhookReceiver(LeonardoWebhooks webhooks, Executor executor, Consumer<String> outcomes) {
        this.webhooks = webhooks;
        this.executor = executor;
        this.outcomes = outcomes;
    }

    /**
     * Queues one callback for delivery.
     *
     * @return false when it repeats one already received (it is then dropped)
     */
    public boolean accept(LeonardoWebhookPayload payload) {
        String key = payload.generationId() + "|" + payload.status();
        if (seen.asMap().putIfAbsent(key, Boolean.TRUE) != null) {
            outcomes.accept("duplicate");
            return false;
        }
        try {
            executor.execute(() -> deliver(payload));
        } catch (RejectedExecutionException e) {
            outcomes.accept("ignored"); // shutting down: polling (or the timeout) ends the wait
        }
        return true;
    }

    private void deliver(LeonardoWebhookPayload payload) {
        if (!"COMPLETE".equals(payload.status()) && !"FAILED".equals(payload.status())) {
            outcomes.accept("ignored");
            return;
        }
        boolean waiting = webhooks.deliver(payload.generationId(), payload.generation());
        outcomes.accept(waiting ? "delivered" : "unknown");
    }
}
