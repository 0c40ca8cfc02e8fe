package dev.imagerouter.lifecycle;

import dev.imagerouter.credits.CreditMonitor;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * At server startup, starts the first credit-balance check and the first model check together and
 * waits for both, for at most the longer of their timeouts plus 500 ms, so the first requests are
 * routed with known balances and models. The two checks talk to different providers, so running
 * them side by side makes startup wait for the slower one rather than for their sum. A check that
 * has not answered by then goes on in the background; requests are served meanwhile.
 */
@Singleton
public class StartupChecks {

    private static final Logger LOG = LoggerFactory.getLogger(StartupChecks.class);
    private static final Duration GRACE = Duration.ofMillis(500);

    private final CreditMonitor credits;
    private final ModelLifecycle models;

    public StartupChecks(CreditMonitor credits, ModelLifecycle models) {
        this.credits = credits;
        this.models = models;
    }

    @EventListener
    void onStartup(ServerStartupEvent event) {
        Duration wait = max(credits.startupWait(), models.startupWait()).plus(GRACE);
        CompletableFuture<Void> balances = credits.start();
        CompletableFuture<Void> modelChecks = models.start();
        try {
            CompletableFuture.allOf(balances, modelChecks).get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("startup checks not finished after {} (credit balance done: {}, model check done: {}); requests are served meanwhile",
                    wait, balances.isDone(), modelChecks.isDone());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("startup checks failed: {}", e.toString());
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
