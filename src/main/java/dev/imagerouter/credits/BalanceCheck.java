package dev.imagerouter.credits;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.provider.leonardo.LeonardoProvider;
import dev.imagerouter.provider.leonardo.LeonardoWire;
import dev.imagerouter.vocabulary.FailureKind;
import io.micronaut.json.JsonMapper;

import java.io.IOException;
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
 * One Leonardo {@code GET /me} (shared/specs/leonardo/WIRE.md §4) through the adapter's own client
 * and classifier. Balance = {@code apiSubscriptionTokens + apiPaidTokens} of the first user, as a
 * decimal (fractional and negative values are kept as they are). Stateless; thread-safe.
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
    private final JsonMapper json;

    BalanceCheck(ScheduledExecutorService scheduler, JsonMapper json) {
        this.scheduler = scheduler;
        this.json = json;
    }

    /**
     * Runs one check; never completes exceptionally. No answer within {@code timeout} is a TIMEOUT
     * failure (the HTTP exchange is cancelled).
     */
    CompletableFuture<Outcome> run(LeonardoProvider leonardo, Map<String, String> headers, Duration timeout) {
        CompletableFuture<Outcome> done = new CompletableFuture<>();
        AtomicBoolean finished = new AtomicBoolean();
        CompletableFuture<String> call;
        try {
            call = leonardo.client().me(headers);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<String> exchange = call;
        ScheduledFuture<?> timer = scheduler.schedule(() -> {
            if (finished.compareAndSet(false, true)) {
                done.complete(Outcome.failed(new ProviderFailure(FailureKind.TIMEOUT,
                        "no answer within credits.check-timeout (" + timeout.toMillis() + " ms)")));
                exchange.cancel(true);
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        exchange.whenComplete((body, error) -> {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            timer.cancel(false);
            try {
                if (error != null) {
                    done.complete(Outcome.failed(leonardo.classifier().classify(error)));
                } else {
                    done.complete(parseBalance(body).map(Outcome::of).orElseGet(() -> Outcome.failed(new ProviderFailure(
                            FailureKind.MALFORMED_RESPONSE, "GET /me answer has no apiSubscriptionTokens/apiPaidTokens", 200))));
                }
            } catch (RuntimeException e) {
                done.complete(Outcome.failed(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                        "unexpected error: " + e.getClass().getSimpleName())));
            }
        });
        return done;
    }

    /** {@code apiSubscriptionTokens + apiPaidTokens} of the first user; empty when neither is there or the body does not parse. */
    Optional<BigDecimal> parseBalance(String body) {
        try {
            LeonardoWire.MeResponse me = json.readValue(body, LeonardoWire.MeResponse.class);
            if (me == null || me.userDetails() == null || me.userDetails().isEmpty() || me.userDetails().get(0) == null) {
                return Optional.empty();
            }
            LeonardoWire.UserDetails u = me.userDetails().get(0);
            if (u.apiSubscriptionTokens() == null && u.apiPaidTokens() == null) {
                return Optional.empty();
            }
            BigDecimal subscription = u.apiSubscriptionTokens() == null ? BigDecimal.ZERO : u.apiSubscriptionTokens();
            BigDecimal paid = u.apiPaidTokens() == null ? BigDecimal.ZERO : u.apiPaidTokens();
            return Optional.of(subscription.add(paid));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
