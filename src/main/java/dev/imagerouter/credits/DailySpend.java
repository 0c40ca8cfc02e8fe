package dev.imagerouter.credits;

import dev.imagerouter.vocabulary.ProviderResult;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/*
 * Per provider and unit (USD, CREDITS) for the current UTC day of the injected clock:
 *   settled  = what paid calls cost (the provider's reported cost, else the reserved estimate);
 *   reserved = the expected cost of calls in flight.
 * A call may start while settled + reserved < budget in every unit that has a budget; it then
 * reserves its expected cost. So N concurrent calls stop being admitted as soon as their estimates
 * fill the budget, and the day's spend passes the budget by at most one call (plus the error of the
 * estimates). Settling replaces the estimate by the actual cost; releasing gives it back.
 *
 * When the day changes everything starts at 0, reservations in flight included (a call that
 * started before midnight and is paid after it counts on the new day, as settled only).
 * Settled amounts are appended to the SpendJournal (when there is one) and read back from it when
 * the day is first seen, so a restart keeps today's spend.
 */
/** Today's spend and reservations per provider and unit. Thread-safe (one short synchronized section per call). */
final class DailySpend {

    static final String USD = ProviderResult.Cost.USD;
    static final String CREDITS = ProviderResult.Cost.CREDITS;

    /** The settled spend of one provider in one unit before and after a settlement. */
    record Added(String unit, BigDecimal before, BigDecimal after) {
    }

    private final Clock clock;
    private final SpendJournal journal;
    private final Map<String, BigDecimal> settled = new HashMap<>();
    private final Map<String, BigDecimal> reserved = new HashMap<>();
    private LocalDate day;

    /** Spend in memory only. */
    DailySpend(Clock clock) {
        this(clock, null);
    }

    /** Spend kept in {@code journal} (null: memory only). */
    DailySpend(Clock clock, SpendJournal journal) {
        this.clock = clock;
        this.journal = journal;
    }

    /**
     * Admits one call of {@code provider} unless its settled + reserved spend today has reached a budget.
     *
     * @param expected what the call is expected to cost, per unit (may be empty: nothing is reserved)
     * @param budgets  the provider's daily budgets per unit (may be empty: always admitted)
     * @return the hold, or empty when a budget is reached
     */
    synchronized Optional<Hold> reserve(String provider, Map<String, BigDecimal> expected, Map<String, BigDecimal> budgets) {
        rollOver();
        for (Map.Entry<String, BigDecimal> b : budgets.entrySet()) {
            String key = key(provider, b.getKey());
            BigDecimal committed = settled.getOrDefault(key, BigDecimal.ZERO).add(reserved.getOrDefault(key, BigDecimal.ZERO));
            if (committed.compareTo(b.getValue()) >= 0) {
                return Optional.empty();
            }
        }
        Map<String, BigDecimal> held = new HashMap<>();
        expected.forEach((unit, amount) -> {
            if (amount.signum() > 0) {
                reserved.merge(key(provider, unit), amount, BigDecimal::add);
                held.put(unit, amount);
            }
        });
        return Optional.of(new Hold(provider, day, Map.copyOf(held)));
    }

    /** Adds a settled amount directly (a paid call that held nothing). */
    synchronized Added add(String provider, String unit, BigDecimal amount) {
        rollOver();
        return record(provider, unit, amount);
    }

    /** Today's settled spend of a provider in {@code unit}. */
    synchronized BigDecimal today(String provider, String unit) {
        rollOver();
        return settled.getOrDefault(key(provider, unit), BigDecimal.ZERO);
    }

    /** Today's reserved (in flight) spend of a provider in {@code unit}. */
    synchronized BigDecimal reserved(String provider, String unit) {
        rollOver();
        return reserved.getOrDefault(key(provider, unit), BigDecimal.ZERO);
    }

    /** One admitted call's reservation; the first of settle and release counts, later calls are ignored. */
    final class Hold {
        private final String provider;
        private final LocalDate heldOn;
        private final Map<String, BigDecimal> held;
        private boolean done;

        private Hold(String provider, LocalDate heldOn, Map<String, BigDecimal> held) {
            this.provider = provider;
            this.heldOn = heldOn;
            this.held = held;
        }

        /** What this hold reserved, per unit. */
        Map<String, BigDecimal> held() {
            return held;
        }

        /**
         * The call was paid: its reservation becomes {@code actual} (in actual's unit), or, when the
         * provider reported no cost, the reserved estimate stands.
         *
         * @return the settled amounts (one per unit settled); empty when already settled or released
         */
        List<Added> settle(Optional<ProviderResult.Cost> actual) {
            synchronized (DailySpend.this) {
                if (done) {
                    return List.of();
                }
                done = true;
                rollOver();
                unreserve();
                List<Added> out = new ArrayList<>();
                if (actual.isPresent() && actual.get().amount().signum() >= 0) {
                    out.add(record(provider, actual.get().unit(), actual.get().amount()));
                } else {
                    held.forEach((unit, amount) -> out.add(record(provider, unit, amount)));
                }
                return out;
            }
        }

        /** Nothing was paid: the reservation is given back. */
        void release() {
            synchronized (DailySpend.this) {
                if (done) {
                    return;
                }
                done = true;
                rollOver();
                unreserve();
            }
        }

        private void unreserve() {
            if (!heldOn.equals(day)) {
                return; // reservations were cleared when the day changed
            }
            held.forEach((unit, amount) -> reserved.computeIfPresent(key(provider, unit), (k, v) -> {
                BigDecimal left = v.subtract(amount);
                return left.signum() <= 0 ? null : left;
            }));
        }
    }

    private Added record(String provider, String unit, BigDecimal amount) {
        String key = key(provider, unit);
        BigDecimal before = settled.getOrDefault(key, BigDecimal.ZERO);
        BigDecimal after = before.add(amount);
        settled.put(key, after);
        if (journal != null && amount.signum() > 0) {
            journal.append(day, clock.instant(), provider, unit, amount);
        }
        return new Added(unit, before, after);
    }

    private void rollOver() {
        LocalDate now = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        if (!now.equals(day)) {
            day = now;
            settled.clear();
            reserved.clear();
            if (journal != null) {
                settled.putAll(journal.read(now));
            }
        }
    }

    private static String key(String provider, String unit) {
        return provider + "\t" + unit;
    }
}
