package dev.imagerouter.sandbox;

/**
 * One entry of a fault plan: {@code target=fault[@probability]}.
 *
 * @param target      a provider type ({@code leonardo}, {@code openai}) or an instance name
 *                    ({@code leonardo-phoenix}), lower case
 * @param fault       the fault to inject
 * @param probability chance per request, 0..1 inclusive (1 = always)
 */
public record FaultRule(String target, SandboxFault fault, double probability) {

    public FaultRule {
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("target must not be blank");
        }
        if (fault == null) {
            throw new IllegalArgumentException("fault must not be null");
        }
        if (!(probability >= 0.0 && probability <= 1.0)) {
            throw new IllegalArgumentException("probability must be between 0 and 1, but was " + probability);
        }
    }

    /**
     * Whether this rule concerns a request to the emulator of {@code type} made by the provider
     * instance {@code instance} (the {@code X-Sandbox-Provider} header, may be empty).
     */
    public boolean matches(EmulatorType type, String instance) {
        return target.equals(type.wireName()) || (!instance.isEmpty() && target.equalsIgnoreCase(instance));
    }

    /** The rule in plan syntax, e.g. {@code leonardo=429@0.3}. */
    @Override
    public String toString() {
        return probability == 1.0 ? target + "=" + fault.wireName() : target + "=" + fault.wireName() + "@" + probability;
    }
}
