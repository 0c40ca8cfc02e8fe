package dev.imagerouter.sandbox;

import jakarta.inject.Singleton;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * The switch and the settings of the emulators, plus the emulated Leonardo account: its balance and the state of
 * its limits (the create window and the processing slots, see {@link LeonardoLimits}).
 *
 * <p>Disabled by default: every emulator endpoint answers 404 in its provider's error shape until
 * {@link #configure(boolean, SandboxSettings)} enables it. The router's configuration calls
 * {@code configure} once at startup from {@code router.sandbox.*}; tests call it before each test.
 *
 * <p>The wiring may also install a lookup of provider instances' timeouts
 * ({@link #setProviderTimeouts}), which the Leonardo {@code late} fault reads; the sandbox itself
 * knows nothing of the router's configuration.
 *
 * <p>Thread-safe: the configuration is one volatile snapshot, the balance is synchronized, the
 * timeout lookup is volatile, the limits' state is synchronized, and the random generator is a {@link Random}
 * (thread-safe).
 */
@Singleton
public class SandboxState {

    private record Config(SandboxSettings settings, FaultPlan standingFaults, RandomGenerator random) {
    }

    private volatile boolean enabled;
    private volatile Config config = configOf(SandboxSettings.defaults());
    private final LeonardoAccount account = new LeonardoAccount();
    private final LeonardoCreateWindow createWindow = new LeonardoCreateWindow();
    private final LeonardoCreateWindow v2CreateWindow = new LeonardoCreateWindow();
    private final LeonardoSlots slots = new LeonardoSlots();
    private volatile Function<String, Optional<Duration>> providerTimeouts = name -> Optional.empty();

    public SandboxState() {
        account.set(SandboxSettings.defaults().startingBalance(), BigDecimal.ZERO);
    }

    /**
     * Switches the emulators on or off and replaces their settings. Also resets the Leonardo
     * balance to {@link SandboxSettings#startingBalance()} subscription tokens and 0 paid tokens,
     * starts the account's limits afresh (no create counted in the window, every slot free, no job waiting:
     * jobs created before keep their timing but no longer hold a slot), and re-seeds the random generator.
     */
    public void configure(boolean enabled, SandboxSettings settings) {
        Objects.requireNonNull(settings, "settings");
        this.config = configOf(settings);
        account.set(settings.startingBalance(), BigDecimal.ZERO);
        createWindow.clear();
        v2CreateWindow.clear();
        slots.clear();
        this.enabled = enabled;
    }

    private static Config configOf(SandboxSettings settings) {
        RandomGenerator random = settings.randomSeed() == null ? new Random() : new Random(settings.randomSeed());
        return new Config(settings, FaultPlan.parse(settings.faults()), random);
    }

    /** Whether the emulator endpoints answer (otherwise 404). */
    public boolean enabled() {
        return enabled;
    }

    /** Turns the emulators on or off, keeping settings and balance. */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public SandboxSettings settings() {
        return config.settings();
    }

    /** The parsed {@link SandboxSettings#faults()}. */
    public FaultPlan standingFaults() {
        return config.standingFaults();
    }

    /** The emulators' random generator (seeded by {@link SandboxSettings#randomSeed()}). */
    public RandomGenerator random() {
        return config.random();
    }

    /**
     * Picks the fault for one request: first from the request's {@code X-Sandbox-Fault} plan, then,
     * if that gave none, from the standing faults.
     *
     * @param faultHeader    the {@code X-Sandbox-Fault} value, null when absent
     * @param providerHeader the {@code X-Sandbox-Provider} value, null when absent
     * @throws IllegalArgumentException when the header does not parse (the caller answers 400)
     */
    public Optional<SandboxFault> selectFault(EmulatorType type, String faultHeader, String providerHeader) {
        return selectFault(type, faultHeader, providerHeader, null);
    }

    /**
     * As {@link #selectFault(EmulatorType, String, String)}, also matching rules that target {@code variant} (e.g.
     * {@code leonardo-v2}, the calls of the Leonardo v2 emulator), when not null.
     */
    public Optional<SandboxFault> selectFault(EmulatorType type, String faultHeader, String providerHeader, String variant) {
        Config c = config;
        String instance = providerHeader == null ? "" : providerHeader.trim();
        Optional<SandboxFault> fromHeader = FaultPlan.parse(faultHeader).select(type, variant, instance, c.random());
        return fromHeader.isPresent() ? fromHeader : c.standingFaults().select(type, variant, instance, c.random());
    }

    /** Sets the Leonardo balance: {@code apiSubscriptionTokens = balance}, {@code apiPaidTokens = 0}. */
    public void setLeonardoBalance(BigDecimal balance) {
        account.set(Objects.requireNonNull(balance, "balance"), BigDecimal.ZERO);
    }

    /** Sets both Leonardo token pools. */
    public void setLeonardoBalance(BigDecimal subscriptionTokens, BigDecimal paidTokens) {
        account.set(Objects.requireNonNull(subscriptionTokens, "subscriptionTokens"), Objects.requireNonNull(paidTokens, "paidTokens"));
    }

    /** {@code apiSubscriptionTokens + apiPaidTokens}, in credits. */
    public BigDecimal leonardoBalance() {
        return account.total();
    }

    /**
     * Installs how the emulators learn a provider instance's configured timeout (the whole attempt's budget) from its
     * name, as sent in {@code X-Sandbox-Provider}: empty when the instance is unknown. The lookup must be fast and
     * must not throw; it is kept across {@link #configure} (it is wiring, not a setting). Until one is installed
     * every instance is unknown.
     */
    public void setProviderTimeouts(Function<String, Optional<Duration>> lookup) {
        this.providerTimeouts = Objects.requireNonNull(lookup, "lookup");
    }

    /**
     * The configured timeout of the instance named {@code providerHeader} (the {@code X-Sandbox-Provider} value,
     * null when absent), or empty when there is no name or the lookup does not know it.
     */
    Optional<Duration> providerTimeout(String providerHeader) {
        if (providerHeader == null || providerHeader.isBlank()) {
            return Optional.empty();
        }
        Optional<Duration> timeout = providerTimeouts.apply(providerHeader.trim());
        return timeout == null ? Optional.empty() : timeout;
    }

    LeonardoAccount leonardoAccount() {
        return account;
    }

    /** The Leonardo account's create window ({@link LeonardoLimits#createLimit()}). */
    LeonardoCreateWindow leonardoCreateWindow() {
        return createWindow;
    }

    /**
     * The Leonardo account's v2 create window: Leonardo lists {@code POST /v2/generations} at 100 per minute of its own
     * (UPDATES-2026.md §5, "100/min each"), with the same settings as v1's ({@link LeonardoLimits#createLimit()}).
     */
    LeonardoCreateWindow leonardoV2CreateWindow() {
        return v2CreateWindow;
    }

    /** The Leonardo account's processing slots ({@link LeonardoLimits#concurrentJobs()}). */
    LeonardoSlots leonardoSlots() {
        return slots;
    }
}
