package dev.imagerouter.credits;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * Estimated USD spend per provider for the current UTC day, from the injected clock. In memory: a
 * restart starts the day at 0 (the Prometheus counter image_router_cost_usd_total is the durable
 * record). Thread-safe (synchronized; one short section per generation).
 */
final class DailySpend {

    /** The day's spend before and after one addition. */
    record Added(BigDecimal before, BigDecimal after) {
    }

    private final Clock clock;
    private final Map<String, BigDecimal> spend = new HashMap<>();
    private LocalDate day;

    DailySpend(Clock clock) {
        this.clock = clock;
    }

    synchronized Added add(String provider, BigDecimal usd) {
        rollOver();
        BigDecimal before = spend.getOrDefault(provider, BigDecimal.ZERO);
        BigDecimal after = before.add(usd);
        spend.put(provider, after);
        return new Added(before, after);
    }

    /** Today's spend of a provider in USD. */
    synchronized BigDecimal today(String provider) {
        rollOver();
        return spend.getOrDefault(provider, BigDecimal.ZERO);
    }

    private void rollOver() {
        LocalDate now = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        if (!now.equals(day)) {
            day = now;
            spend.clear();
        }
    }
}
