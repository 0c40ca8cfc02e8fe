package dev.imagerouter.credits;

import dev.imagerouter.alerts.Alert;
import dev.imagerouter.provider.CreditSettings;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;

/**
 * The credit state of one provider instance: the last known balance (from {@code GET /me}, then
 * lowered by each generation's reported cost), its level, and the bookkeeping of checks. Kept by
 * provider name, so it survives reloads. Thread-safe: every method is synchronized (short sections).
 */
final class ProviderCredits {

    /** A change of level caused by one observation. */
    record Transition(CreditLevel from, CreditLevel to, BigDecimal balance) {

        /** The alert for this change: firing for the new level when worse, resolved for the old level when better. */
        Alert toAlert(String provider, CreditSettings cs) {
            String value = balance.toPlainString();
            if (to.ordinal() > from.ordinal()) {
                BigDecimal threshold = to.threshold(cs).orElse(null);
                return Alert.firing(to.alertName(), to.severity(), provider, balance, threshold, "credit balance " + value
                        + " is below " + to.configKey() + " " + plain(threshold)
                        + (to == CreditLevel.SKIP ? "; the router skips this provider until the balance recovers" : ""));
            }
            BigDecimal threshold = from.threshold(cs).orElse(null);
            return Alert.resolved(from.alertName(), from.severity(), provider, balance, threshold, "credit balance " + value
                    + " recovered above " + from.configKey() + " " + plain(threshold) + " + hysteresis "
                    + cs.hysteresis().toPlainString() + " (level now " + to + ")");
        }

        private static String plain(BigDecimal d) {
            return d == null ? "-" : d.toPlainString();
        }
    }

    private final String provider;
    private BigDecimal balance;
    private CreditLevel level = CreditLevel.OK;
    private long checksStarted;
    private long newestApplied;
    private boolean inFlight;
    private long nextDueNanos = Long.MIN_VALUE;
    private long lastStartNanos;
    private Instant lastSuccess;

    ProviderCredits(String provider) {
        this.provider = provider;
    }

    String provider() {
        return provider;
    }

    /** Marks a check as started; its sequence number orders results that arrive out of order. */
    synchronized long startCheck(long nowNanos) {
        inFlight = true;
        lastStartNanos = nowNanos;
        return ++checksStarted;
    }

    synchronized void finishCheck(long sequence) {
        if (sequence == checksStarted) {
            inFlight = false;
        }
    }

    /**
     * Applies a balance read by check {@code sequence}, unless a newer check was applied already.
     *
     * @return the change of level, or empty when the level stayed (or the result was stale)
     */
    synchronized Optional<Transition> observe(long sequence, BigDecimal newBalance, CreditSettings settings, Instant at) {
        if (sequence < newestApplied) {
            return Optional.empty();
        }
        newestApplied = sequence;
        balance = newBalance;
        lastSuccess = at;
        return move(settings);
    }

    /** Lowers a known balance by a generation's cost; nothing happens before the first successful check. */
    synchronized Optional<Transition> spend(BigDecimal cost, CreditSettings settings) {
        if (balance == null) {
            return Optional.empty();
        }
        balance = balance.subtract(cost);
        return move(settings);
    }

    /** Re-evaluates the level (for example after a reload changed the thresholds). */
    synchronized Optional<Transition> reevaluate(CreditSettings settings) {
        return balance == null ? Optional.empty() : move(settings);
    }

    private Optional<Transition> move(CreditSettings settings) {
        CreditLevel next = CreditLevel.next(level, balance, settings);
        if (next == level) {
            return Optional.empty();
        }
        Transition t = new Transition(level, next, balance);
        level = next;
        return Optional.of(t);
    }

    synchronized Optional<BigDecimal> balance() {
        return Optional.ofNullable(balance);
    }

    synchronized CreditLevel level() {
        return level;
    }

    synchronized Optional<Instant> lastSuccess() {
        return Optional.ofNullable(lastSuccess);
    }

    /** For the gauge: the balance, or NaN before the first successful check. */
    synchronized double gaugeValue() {
        return balance == null ? Double.NaN : balance.doubleValue();
    }

    /** Whether a scheduled check is due at {@code nowNanos} (none in flight, interval passed); if so, books the next one. */
    synchronized boolean claimScheduled(long nowNanos, long intervalNanos) {
        if (inFlight || (nextDueNanos != Long.MIN_VALUE && nowNanos - nextDueNanos < 0)) {
            return false;
        }
        nextDueNanos = nowNanos + intervalNanos;
        return true;
    }

    /** Pushes the next scheduled check one interval past a check started now by other means. */
    synchronized void bookNext(long nowNanos, long intervalNanos) {
        nextDueNanos = nowNanos + intervalNanos;
    }

    synchronized long nanosUntilDue(long nowNanos) {
        return nextDueNanos == Long.MIN_VALUE ? 0 : nextDueNanos - nowNanos;
    }

    /** Whether no check is in flight and none started within {@code minGapNanos}. */
    synchronized boolean idleFor(long nowNanos, long minGapNanos) {
        return !inFlight && (checksStarted == 0 || nowNanos - lastStartNanos >= minGapNanos);
    }
}
