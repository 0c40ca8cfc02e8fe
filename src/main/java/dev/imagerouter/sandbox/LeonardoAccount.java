package dev.imagerouter.sandbox;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * The emulated Leonardo credit balance: {@code apiSubscriptionTokens} and {@code apiPaidTokens}
 * (Leonardo WIRE.md §4), in credits, as decimals.
 *
 * <p>Debits take subscription tokens first, then paid tokens. A debit is refused only when the
 * total is already {@code <= 0}; otherwise it is taken in full, so the last accepted job may drive
 * the balance negative, as Leonardo allows (WIRE §4 "The balance can go negative"). Thread-safe:
 * every method is synchronized (one short critical section per create).
 */
final class LeonardoAccount {

    private BigDecimal subscription = BigDecimal.ZERO;
    private BigDecimal paid = BigDecimal.ZERO;

    synchronized void set(BigDecimal subscriptionTokens, BigDecimal paidTokens) {
        this.subscription = subscriptionTokens;
        this.paid = paidTokens;
    }

    /** {@code [apiSubscriptionTokens, apiPaidTokens]}. */
    synchronized BigDecimal[] tokens() {
        return new BigDecimal[] {subscription, paid};
    }

    synchronized BigDecimal total() {
        return subscription.add(paid);
    }

    /**
     * Takes {@code cost} if the balance is positive.
     *
     * @return empty when the balance was {@code <= 0} (nothing taken), else the balance after the debit
     */
    synchronized Optional<BigDecimal> debit(BigDecimal cost) {
        if (total().signum() <= 0) {
            return Optional.empty();
        }
        BigDecimal fromSubscription = subscription.signum() > 0 ? subscription.min(cost) : BigDecimal.ZERO;
        subscription = subscription.subtract(fromSubscription);
        paid = paid.subtract(cost.subtract(fromSubscription));
        return Optional.of(total());
    }
}
