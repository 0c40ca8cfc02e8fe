package dev.imagerouter.provider;

import dev.imagerouter.policy.PolicyTable;

import java.time.Duration;
import java.util.Optional;

/**
 * One provider instance as configured in {@code providers/<name>.yml}.
 *
 * @param name        the instance name (the file name without {@code .yml})
 * @param type        {@code leonardo} or {@code openai}
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
 */
public record ProviderConfig(String name, String type, boolean enabled, String baseUrl, String apiKeyEnv,
                             Optional<String> apiKey, String model, Duration timeout, ResilienceSettings resilience,
                             PolicyTable policy, ProviderSettings settings, Optional<java.time.LocalDate> shutdownDate) {

    public ProviderConfig {
        shutdownDate = shutdownDate == null ? Optional.empty() : shutdownDate;
    }

    /** A provider without a configured shutdown date. */
    public ProviderConfig(String name, String type, boolean enabled, String baseUrl, String apiKeyEnv,
                          Optional<String> apiKey, String model, Duration timeout, ResilienceSettings resilience,
                          PolicyTable policy, ProviderSettings settings) {
        this(name, type, enabled, baseUrl, apiKeyEnv, apiKey, model, timeout, resilience, policy, settings, Optional.empty());
    }

    /** This configuration with its parsed settings. */
    public ProviderConfig withSettings(ProviderSettings parsed) {
        return new ProviderConfig(name, type, enabled, baseUrl, apiKeyEnv, apiKey, model, timeout, resilience, policy, parsed,
                shutdownDate);
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
