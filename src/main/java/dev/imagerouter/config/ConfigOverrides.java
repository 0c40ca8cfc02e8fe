package dev.imagerouter.config;

import io.micronaut.context.env.Environment;
import io.micronaut.context.env.PropertySource;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Where a configuration key can be overridden, highest precedence first:
 * <ol>
 *   <li>an environment variable named after the full key, upper-cased, with every character that
 *       is not a letter or digit turned into {@code _}: {@code router.cache.ttl} ← {@code ROUTER_CACHE_TTL},
 *       {@code router.providers.leonardo-phoenix.timeout} ← {@code ROUTER_PROVIDERS_LEONARDO_PHOENIX_TIMEOUT};</li>
 *   <li>a JVM system property with the full key ({@code -Drouter.cache.ttl=1h});</li>
 *   <li>properties given to the application context in code (tests).</li>
 * </ol>
 * Micronaut also reads {@code ./config/application.yml} by itself; values from files are ignored
 * here on purpose, so that a reload of the files is never shadowed by the copy Micronaut read at
 * startup.
 */
public final class ConfigOverrides implements Function<String, Optional<String>> {

    private final Environment environment;
    private final Function<String, String> getenv;

    public ConfigOverrides(Environment environment, Function<String, String> getenv) {
        this.environment = environment;
        this.getenv = getenv;
    }

    /** The environment variable that overrides {@code key}. */
    public static String environmentVariable(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    @Override
    public Optional<String> apply(String key) {
        String fromEnv = getenv.apply(environmentVariable(key));
        if (fromEnv != null) {
            return Optional.of(fromEnv);
        }
        String fromSystem = System.getProperty(key);
        if (fromSystem != null) {
            return Optional.of(fromSystem);
        }
        if (environment != null) {
            for (PropertySource source : environment.getPropertySources()) {
                if (isFileOrBuiltIn(source)) {
                    continue;
                }
                Object value = source.get(key);
                if (value != null) {
                    return Optional.of(value instanceof Collection<?> c
                            ? c.stream().map(String::valueOf).collect(Collectors.joining(",")) : value.toString());
                }
            }
        }
        return Optional.empty();
    }

    private static boolean isFileOrBuiltIn(PropertySource source) {
        String name = source.getName();
        String location = source.getOrigin() == null ? "" : String.valueOf(source.getOrigin().location());
        return location.startsWith("file:") || location.startsWith("classpath:") || location.contains("application")
                || "env".equals(name) || "system".equals(name) || name.startsWith("application")
                || location.endsWith(".yml") || location.endsWith(".yaml") || location.endsWith(".properties");
    }
}
