package dev.imagerouter.provider.leonardo;

import dev.imagerouter.provider.BalanceSource;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.vocabulary.ProviderFailure;
import io.micronaut.json.JsonMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A Leonardo account's credit balance through {@code GET /me} (shared/specs/leonardo/WIRE.md §4, unchanged in
 * 2026: UPDATES-2026.md §3.3): {@code apiSubscriptionTokens + apiPaidTokens} of the first user, as a decimal
 * (fractional and negative values kept as they are; API credits, or USD on PAYG plans). Used by the v1 and v2
 * adapters alike, since both spend the same key's balance. Thread-safe.
 */
public final class LeonardoBalance implements BalanceSource {

    private final LeonardoClient client;
    private final LeonardoFailureClassifier classifier;
    private final JsonMapper json;

    public LeonardoBalance(LeonardoClient client, LeonardoFailureClassifier classifier, JsonMapper json) {
        this.client = client;
        this.classifier = classifier;
        this.json = json;
    }

    @Override
    public CompletableFuture<BigDecimal> balance(Map<String, String> headers) {
        CompletableFuture<String> call;
        try {
            call = client.me(headers);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<String> exchange = call;
        CompletableFuture<BigDecimal> result = new CompletableFuture<>();
        exchange.whenComplete((body, error) -> {
            if (error != null) {
                result.completeExceptionally(classifier.classify(error));
                return;
            }
            Optional<BigDecimal> balance = parse(body);
            if (balance.isPresent()) {
                result.complete(balance.get());
            } else {
                result.completeExceptionally(new ProviderFailure(FailureKind.MALFORMED_RESPONSE,
                        "GET /me answer has no apiSubscriptionTokens/apiPaidTokens", 200));
            }
        });
        result.whenComplete((b, e) -> {
            if (result.isCancelled()) {
                exchange.cancel(true);
            }
        });
        return result;
    }

    /** {@code apiSubscriptionTokens + apiPaidTokens} of the first user; empty when neither is there or the body does not parse. */
    Optional<BigDecimal> parse(String body) {
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
