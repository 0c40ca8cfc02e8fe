package dev.imagerouter.credits;

import dev.imagerouter.alerts.Alert;
import dev.imagerouter.provider.CreditSettings;

import java.math.BigDecimal;
import java.util.Optional;

/*
 * Levels and hysteresis
 * ---------------------
 * The level is the most severe threshold the balance is below: OK < WARN < CRITICAL < SKIP.
 * Going down (balance falls below a threshold) is immediate. Coming back is not: the level only
 * drops to a milder one once the balance is at or above that level's threshold + hysteresis, so a
 * balance hovering around a threshold does not flap. Each change of level is one alert: a firing
 * alert named after the new level when it gets worse, a resolved alert named after the old level
 * when it gets better. Levels whose threshold is not configured are never reached.
 *
 * Example (warn 2000, critical 500, skip 50, hysteresis 100): 2010 OK → 1990 WARN (fires
 * CREDITS_WARN) → 1900 WARN → 2050 WARN (not yet 2100) → 2100 OK (CREDITS_WARN resolved).
 */
/** Credit balance levels and the hysteresis rule between them. Immutable; thread-safe. */
public enum CreditLevel {
    OK, WARN, CRITICAL, SKIP;

    /** The threshold of this level in {@code settings}; empty for OK and for unconfigured levels. */
    public Optional<BigDecimal> threshold(CreditSettings settings) {
        return switch (this) {
            case OK -> Optional.empty();
            case WARN -> settings.warnBelow();
            case CRITICAL -> settings.criticalBelow();
            case SKIP -> settings.skipBelow();
        };
    }

    /** The alert this level raises: {@code CREDITS_WARN}, {@code CREDITS_CRITICAL}, {@code CREDITS_SKIP}. */
    public String alertName() {
        return "CREDITS_" + name();
    }

    /** The config key of this level's threshold. */
    public String configKey() {
        return switch (this) {
            case OK -> "";
            case WARN -> "warn-below";
            case CRITICAL -> "critical-below";
            case SKIP -> "skip-below";
        };
    }

    /** The {@code level} tag of the threshold gauge: {@code warn}, {@code critical}, {@code skip}. */
    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public Alert.Severity severity() {
        return this == WARN ? Alert.Severity.WARNING : Alert.Severity.CRITICAL;
    }

    /** The most severe level whose threshold is above {@code balance} (strictly: "below 2000" excludes 2000). */
    public static CreditLevel reached(BigDecimal balance, CreditSettings settings) {
        CreditLevel[] levels = values();
        for (int i = levels.length - 1; i > 0; i--) {
            Optional<BigDecimal> t = levels[i].threshold(settings);
            if (t.isPresent() && balance.compareTo(t.get()) < 0) {
                return levels[i];
            }
        }
        return OK;
    }

    /** The level after observing {@code balance} while at {@code current}: worse at once, better only past the hysteresis. */
    public static CreditLevel next(CreditLevel current, BigDecimal balance, CreditSettings settings) {
        CreditLevel reached = reached(balance, settings);
        if (reached.ordinal() >= current.ordinal()) {
            return reached;
        }
        CreditLevel[] levels = values();
        for (int i = current.ordinal(); i > reached.ordinal(); i--) {
            Optional<BigDecimal> t = levels[i].threshold(settings);
            if (t.isPresent() && balance.compareTo(t.get().add(settings.hysteresis())) < 0) {
                return levels[i];
            }
        }
        return reached;
    }
}
