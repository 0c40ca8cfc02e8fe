package dev.imagerouter.sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * An immutable, parsed fault plan: the value of the {@code X-Sandbox-Fault} header or of
 * {@code router.sandbox.faults} (grammar from DESIGN.md "Sandbox faults").
 *
 * <pre>
 *   plan   := rule ( "," rule )*          whitespace around tokens is ignored; "" is the empty plan
 *   rule   := target "=" fault [ "@" probability ]
 *   target := [A-Za-z0-9][A-Za-z0-9._-]*  a provider type (leonardo, openai; leonardo-v2: only the Leonardo v2
 *                                         emulator's calls, which leonardo targets too) or an instance name
 *   fault  := one of {@link SandboxFault#allNames()}
 *   probability := decimal in [0, 1], default 1
 * </pre>
 *
 * <p><b>Selection.</b> For one request, {@link #select} keeps the rules that match the emulator
 * and draws <em>one</em> uniform number {@code r} in [0,1); walking the matching rules in order with a
 * running sum of probabilities, the first rule whose running sum exceeds {@code r} wins. So
 * {@code leonardo=429@0.3,leonardo=500@0.1} gives 30% 429, 10% 500 and 60% no fault. When the
 * probabilities add up to more than 1, the later rules get what is left.
 *
 * <p>Thread-safe (immutable). Parse errors are {@link IllegalArgumentException}s whose message
 * names the bad entry and what was expected.
 */
public final class FaultPlan {

    /** The plan without rules. */
    public static final FaultPlan EMPTY = new FaultPlan(List.of());

    private static final Pattern TARGET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final List<FaultRule> rules;

    private FaultPlan(List<FaultRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** A plan of the given rules, in order. */
    public static FaultPlan of(List<FaultRule> rules) {
        return rules.isEmpty() ? EMPTY : new FaultPlan(rules);
    }

    /**
     * Parses a plan; {@code null} or blank gives {@link #EMPTY}.
     *
     * @throws IllegalArgumentException naming the bad entry, e.g.
     *         {@code fault entry 'leonardo=42': unknown fault '42'; expected one of 429, 500, ...}
     */
    public static FaultPlan parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return EMPTY;
        }
        List<FaultRule> rules = new ArrayList<>();
        for (String raw : spec.split(",", -1)) {
            rules.add(parseRule(raw.trim()));
        }
        return of(rules);
    }

    private static FaultRule parseRule(String entry) {
        if (entry.isEmpty()) {
            throw new IllegalArgumentException("empty fault entry; expected target=fault[@probability], e.g. leonardo=429@0.5");
        }
        int eq = entry.indexOf('=');
        if (eq < 0) {
            throw bad(entry, "missing '='; expected target=fault[@probability], e.g. leonardo=429@0.5");
        }
        String target = entry.substring(0, eq).trim();
        if (!TARGET.matcher(target).matches()) {
            throw bad(entry, "invalid target '" + target
                    + "'; expected a provider type (leonardo, openai) or an instance name such as leonardo-phoenix");
        }
        String rest = entry.substring(eq + 1).trim();
        int at = rest.indexOf('@');
        String faultName = (at < 0 ? rest : rest.substring(0, at)).trim();
        SandboxFault fault = SandboxFault.byName(faultName).orElseThrow(() -> bad(entry,
                "unknown fault '" + faultName + "'; expected one of " + String.join(", ", SandboxFault.allNames())));
        double probability = at < 0 ? 1.0 : parseProbability(entry, rest.substring(at + 1).trim());
        String normalisedTarget = target.toLowerCase(Locale.ROOT);
        for (EmulatorType type : EmulatorType.values()) {
            if (normalisedTarget.equals(type.wireName()) && !fault.appliesTo(type)) {
                throw bad(entry, "fault '" + faultName + "' does not apply to " + type.wireName());
            }
        }
        if (normalisedTarget.equals(LeonardoV2Controller.FAULT_TARGET) && !fault.appliesTo(EmulatorType.LEONARDO)) {
            throw bad(entry, "fault '" + faultName + "' does not apply to " + LeonardoV2Controller.FAULT_TARGET);
        }
        return new FaultRule(normalisedTarget, fault, probability);
    }

    private static double parseProbability(String entry, String text) {
        double p;
        try {
            p = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw bad(entry, "probability '" + text + "' is not a number; expected a decimal between 0 and 1");
        }
        if (!(p >= 0.0 && p <= 1.0)) {
            throw bad(entry, "probability must be between 0 and 1, but was " + text);
        }
        return p;
    }

    private static IllegalArgumentException bad(String entry, String why) {
        return new IllegalArgumentException("fault entry '" + entry + "': " + why);
    }

    /** The rules in plan order. */
    public List<FaultRule> rules() {
        return rules;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /**
     * Picks the fault for one request (see the class comment). Draws from {@code random} only when
     * at least one rule matches.
     *
     * @param type     the emulator answering
     * @param instance the {@code X-Sandbox-Provider} header value, or "" when absent
     */
    public Optional<SandboxFault> select(EmulatorType type, String instance, RandomGenerator random) {
        return select(type, null, instance, random);
    }

    /**
     * As {@link #select(EmulatorType, String, RandomGenerator)}, also matching rules that target {@code variant} (e.g.
     * {@code leonardo-v2}) when it is not null.
     */
    public Optional<SandboxFault> select(EmulatorType type, String variant, String instance, RandomGenerator random) {
        List<FaultRule> matching = rules.stream().filter(r -> r.matches(type, instance)
                || (variant != null && r.target().equals(variant))).toList();
        if (matching.isEmpty()) {
            return Optional.empty();
        }
        double r = random.nextDouble();
        double cumulative = 0.0;
        for (FaultRule rule : matching) {
            cumulative += rule.probability();
            if (r < cumulative) {
                return Optional.of(rule.fault());
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FaultPlan other && rules.equals(other.rules);
    }

    @Override
    public int hashCode() {
        return rules.hashCode();
    }

    /** The plan in its own syntax (canonical fault names). */
    @Override
    public String toString() {
        return String.join(",", rules.stream().map(FaultRule::toString).toList());
    }
}
