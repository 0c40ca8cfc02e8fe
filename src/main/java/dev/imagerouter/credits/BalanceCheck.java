package dev.imagerouter.credits;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One balance check through a provider's {@link dev.imagerouter.provider.BalanceSource} (Leonardo's
 * {@code GET /me}), bounded by the check timeout. Stateless; thread-safe.
 */
final class BalanceCheck {

    /** The result of one check: a balance, or the classified failure. */
    record Outcome(Optional<BigDecimal> balance, Optional<ProviderFailure> failure) {
        static Outcome of(BigDecimal balance) {
            return new Outcome(Optional.of(balance), Optional.empty());
        }

        static Outcome failed(ProviderFailure failure) {
            return new Outcome(Optional.empty(), Optional.of(failure));
        }
    }

    private final ScheduledExecutorService scheduler;

    BalanceCheck(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    /**
     * Runs one check; never completes exceptionally. No answer within {@code timeout} is a TIMEOUT
     * failure (the HTTP exchange is cancelled).
     */
    CompletableFuture<Outcome> run(dev.imagerouter.provider.BalanceSource source, Map<String, String> headers, Duration timeout) {
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        AtomicBoolean finished = new AtomicBoolean();
        CompletableFuture<BigDecimal> call;
        try {
            call = source.balance(headers);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<BigDecimal> exchange = call;
        ScheduledFuture<?> timer = scheduler.schedule(() -> {
            if (finished.compareAndSet(false, true)) {
                done.complete(Outcome.failed(new ProviderFailure(FailureKind.TIMEOUT,
                        "no answer within credits.check-timeout (" + timeout.toMillis() + " ms)")));
                exchange.cancel(true);
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        exchange.whenComplete((balance, error) -> {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            timer.cancel(false);
            try {
                if (error != null) {
                    Throwable t = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    done.complete(Outcome.failed(t instanceof ProviderFailure pf ? pf : new ProviderFailure(
                            FailureKind.MALFORMED_RESPONSE, "unexpected error: " + t.getClass().getSimpleName())));
                } else {
                    done.complete(Outcome.of(balance));
                }
            } catch (RuntimeException e) {
                done.complete(Outcome.failed(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                        "unexpected error: " + e.getClass().getSimpleName())));
            }
        });
        return done;
    }
}
