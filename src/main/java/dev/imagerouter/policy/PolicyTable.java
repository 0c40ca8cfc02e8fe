package dev.imagerouter.policy;

import dev.imagerouter.vocabulary.FailureKind;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The policy table: one {@link PolicyRule} for every failure kind a call can end with (every kind
 * but {@link FailureKind#CIRCUIT_OPEN} and {@link FailureKind#SKIPPED}, after which the router
 * always falls back). Immutable; a table missing a row cannot be built, so adding a failure kind
 * without a row fails at startup and in the tests.
 */
public final class PolicyTable {

    /** The kinds that must have a row. */
    public static final List<FailureKind> REQUIRED_KINDS = Arrays.stream(FailureKind.values())
            .filter(FailureKind::isCallOutcome)
            .toList();

    private final Map<FailureKind, PolicyRule> rules;

    private PolicyTable(Map<FailureKind, PolicyRule> rules) {
        this.rules = rules;
    }

    /**
     * @throws IllegalArgumentException naming the missing kinds when a row is missing
     */
    public static PolicyTable of(Map<FailureKind, PolicyRule> rules) {
        EnumMap<FailureKind, PolicyRule> copy = new EnumMap<>(FailureKind.class);
        copy.putAll(rules);
        List<FailureKind> missing = REQUIRED_KINDS.stream().filter(k -> !copy.containsKey(k)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("policy table has no row for " + missing);
        }
        return new PolicyTable(copy);
    }

    /** The row for a failure kind; empty for CIRCUIT_OPEN and SKIPPED. */
    public Optional<PolicyRule> rule(FailureKind kind) {
        return Optional.ofNullable(rules.get(kind));
    }

    /** The action for a kind; CIRCUIT_OPEN and SKIPPED always fall back. */
    public PolicyAction action(FailureKind kind) {
        return rule(kind).map(PolicyRule::action).orElse(PolicyAction.FALLBACK);
    }

    /** The largest max-retries over the RETRY rows (0 when nothing retries). */
    public int maxRetries() {
        return rules.values().stream().filter(PolicyRule::retries).mapToInt(PolicyRule::maxRetries).max().orElse(0);
    }

    public Map<FailureKind, PolicyRule> rules() {
        return Map.copyOf(rules);
    }

    @Override
    public String toString() {
        return "PolicyTable" + rules.values();
    }
}
