package dev.imagerouter.provider;

import dev.imagerouter.policy.PolicyTable;

import java.time.Duration;
import java.util.Optional;

/**
 * One provider instance as configured in {@code providers/<name>.yml}.
 *
 * @param name        the instance name (the file name without {@code .yml})
 * @param type        {@code leonardo}, {@code leonardo-v2} or {@code openai}
 * @param enabled     false removes the instance from every chain
 * @param baseUrl     the API base URL (the emulator's in sandbox mode)
 * @param apiKeyEnv   the environment variable that holds the key
 * @param apiKey      the key itself (the emulator's key in sandbox mode); never logged
 * @param model       the model id or name asked for
 * @param timeout     the whole attempt's budget (create + poll for Leonardo)
 * @param resilience  breaker, rate limiter and bulkhead settings
 * @param policy      the policy table with this provider's overrides applied
 * @param settings    the file's type-specific and money settings, parsed when the configuration was loaded
 * @param shutdownDate the model's shutdown date from the file's {@code shutdown-date:} (UTC day), or empty;
 *                     from that day on the router skips the provider without a call
 * @param account     the file's {@code account:}, the provider account whose limits it shares, or empty for the
 *                    default (see {@link #limitKey()})
 */
public record ProviderConfig(String name, String type, boolean enabled, String baseUrl, String apiKeyEnv,
                             Optional<String> apiKey, String model, Duration timeout, ResilienceSettings resilience,
                             PolicyTable policy, ProviderSettings settings, Optional<java.time.LocalDate> shutdownDate,
                             Optional<String> account) {

    /** Provider types whose files on one key share an account's limits by default (Leonardo v1 and v2). */
    public static final java.util.Set<String> ACCOUNT_TYPES = java.util.Set.of("leonardo", "leonardo-v2");

    public ProviderConfig {
        shutdownDate = shutdownDate == null ? Optional.empty() : shutdownDate;
        account = account == null ? Optional.empty() : account.filter(a -> !a.isBlank());
    }

    /** A provider whose file names no {@code account:} (see {@link #limitKey()}). */
    public ProviderConfig(String name, String type, boolean enabled, String baseUrl, String apiKeyEnv,
                          Optional<String> apiKey, String model, Duration timeout, ResilienceSettings resilience,
                          PolicyTable policy, ProviderSettings settings, Optional<java.time.LocalDate> shutdownDate) {
        this(name, type, enabled, baseUrl, apiKeyEnv, apiKey, model, timeout, resilience, policy, settings, shutdownDate,
                Optional.empty());
    }

    /** A provider without a configured shutdown date. */
    public ProviderConfig(String name, String type, boolean enabled, String baseUrl, String apiKeyEnv,
                          Optional<String> apiKey, String model, Duration timeout, ResilienceSettings resilience,
                          PolicyTable policy, ProviderSettings settings) {
        this(name, type, enabled, baseUrl, apiKeyEnv, apiKey, model, timeout, resilience, policy, settings, Optional.empty(),
                Optional.empty());
    }

    /** This configuration with its parsed settings. */
    public ProviderConfig withSettings(ProviderSettings parsed) {
        return new ProviderConfig(name, type, enabled, baseUrl, apiKeyEnv, apiKey, model, timeout, resilience, policy, parsed,
                shutdownDate, account);
    }

    /** This configuration talking to another endpoint with another key (the emulators' in sandbox mode). */
    public ProviderConfig withEndpoint(String url, String key) {
        return new ProviderConfig(name, type, enabled, url, apiKeyEnv, Optional.of(key), model, timeout, resilience, policy,
                settings, shutdownDate, account);
    }

    /**
     * The account whose limits this provider shares: every provider with the same key gets the same rate limiter
     * (creates per period) and bulkhead (concurrent calls and accepted jobs), named after it; circuit breakers,
     * retries and time limiters stay per provider. The one place that decides it (shared limits are keyed by it):
     * the file's {@code account:} when set; else, for the Leonardo types ({@link #ACCOUNT_TYPES}), the name of the
     * variable that holds the key ({@code api-key-env}, e.g. {@code LEONARDO_API_KEY}): Leonardo counts its limits
     * (100 creates per minute, 10 concurrent jobs; UPDATES-2026.md §5) per account, whatever the model or API
     * version; else the provider's own name.
     */
    public String limitKey() {
        if (account.isPresent()) {
            return account.get();
        }
        return ACCOUNT_TYPES.contains(type) && !apiKeyEnv.isBlank() ? apiKeyEnv : name;
    }

    /** What identifies the instance's live state (breaker, limiter): same values, same state across reloads. */
    public String stateKey() {
        return name + "|" + type + "|" + baseUrl + "|" + model + "|" + resilience;
    }

    @Override
    public String toString() {
        return "ProviderConfig[" + name + ", type=" + type + ", model=" + model + ", baseUrl=" + baseUrl + "]";
    }
}
