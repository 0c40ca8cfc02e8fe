package dev.imagerouter.configtree;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

// Over 300 lines because every typed reader of a settings file (booleans, numbers in ranges, durations, lists, dates) and the problem list they share; one small API, kept in one file.

/**
 * A typed, error-collecting view of one map of a YAML file. Every getter takes a default and
 * records a problem (file, full key, value, what was expected) instead of throwing, so that a
 * whole file is checked in one pass.
 *
 * <p>Values are looked up first in the overrides (environment variables, system properties,
 * test properties: see {@link ConfigLoader}) under the full dotted key, then in the file.
 * Strings may contain {@code ${ENV_VAR:default}} placeholders.
 */
public final class ConfigNode {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+)(?::([^}]*))?}");

    private final String file;
    private final String prefix;
    private final Map<String, Object> map;
    private final ConfigErrors errors;
    private final Function<String, Optional<String>> overrides;
    private final Map<String, Object> effective;

    public ConfigNode(String file, String prefix, Map<String, Object> map, ConfigErrors errors,
               Function<String, Optional<String>> overrides, Map<String, Object> effective) {
        this.file = file;
        this.prefix = prefix;
        this.map = map == null ? Map.of() : map;
        this.errors = errors;
        this.overrides = overrides;
        this.effective = effective;
    }

    public String file() {
        return file;
    }

    /** The full dotted key of {@code key} under this node. */
    public String key(String key) {
        if (key.isEmpty()) {
            return prefix;
        }
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    public ConfigErrors errors() {
        return errors;
    }

    public boolean has(String key) {
        return map.containsKey(key) || overrides.apply(key(key)).isPresent();
    }

    public Set<String> keys() {
        return Collections.unmodifiableSet(map.keySet());
    }

    /** A child map; an absent key gives an empty node, a non-map value is a problem. */
    @SuppressWarnings("unchecked")
    public ConfigNode child(String key) {
        Object value = map.get(key);
        Map<String, Object> childEffective = new LinkedHashMap<>();
        if (value != null && !(value instanceof Map)) {
            errors.add(file, key(key), value, "a map of settings");
            value = null;
        }
        effective.put(key, childEffective);
        return new ConfigNode(file, key(key), (Map<String, Object>) value, errors, overrides, childEffective);
    }

    private Object raw(String key) {
        Optional<String> override = overrides.apply(key(key));
        Object value = override.isPresent() ? override.get() : map.get(key);
        if (value instanceof String s) {
            value = resolvePlaceholders(s);
        }
        if (value != null) {
            effective.put(key, value);
        }
        return value;
    }

    private String resolvePlaceholders(String s) {
        Matcher m = PLACEHOLDER.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String env = System.getenv(m.group(1));
            String replacement = env != null && !env.isEmpty() ? env : (m.group(2) == null ? "" : m.group(2));
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    public Optional<String> optionalString(String key) {
        Object v = raw(key);
        if (v == null || v.toString().isBlank()) {
            return Optional.empty();
        }
        if (v instanceof Map || v instanceof List) {
            errors.add(file, key(key), v, "a single value");
            return Optional.empty();
        }
        return Optional.of(v.toString().trim());
    }

    /**
     * An ISO-8601 date ({@code 2026-10-23}); YAML's own date scalars are accepted too (SnakeYAML
     * reads an unquoted date as a {@code java.util.Date} at UTC midnight).
     */
    public Optional<java.time.LocalDate> optionalDate(String key) {
        Object v = raw(key);
        if (v == null || v.toString().isBlank()) {
            return Optional.empty();
        }
        if (v instanceof java.util.Date d) {
            return Optional.of(d.toInstant().atZone(java.time.ZoneOffset.UTC).toLocalDate());
        }
        try {
            return Optional.of(java.time.LocalDate.parse(v.toString().trim()));
        } catch (java.time.format.DateTimeParseException e) {
            errors.add(file, key(key), v, "an ISO date such as 2026-10-23");
            return Optional.empty();
        }
    }

    public String string(String key, String defaultValue) {
        return optionalString(key).orElse(defaultValue);
    }

    /** A string that must be one of {@code allowed} (case-insensitive); returns the allowed spelling. */
    public String oneOf(String key, String defaultValue, List<String> allowed) {
        String v = string(key, defaultValue);
        for (String a : allowed) {
            if (a.equalsIgnoreCase(v)) {
                return a;
            }
        }
        errors.add(file, key(key), v, "one of " + allowed);
        return defaultValue;
    }

    public boolean bool(String key, boolean defaultValue) {
        Object v = raw(key);
        if (v == null) {
            return defaultValue;
        }
        String s = v.toString().trim().toLowerCase();
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        errors.add(file, key(key), v, "true or false");
        return defaultValue;
    }

    public int integer(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    public long longValue(String key, long defaultValue, long min, long max) {
        return number(key, defaultValue, Long::parseLong, l -> l >= min && l <= max, "an integer from " + min + " to " + max);
    }

    public double decimal(String key, double defaultValue, double min, double max) {
        return number(key, defaultValue, Double::parseDouble, d -> d >= min && d <= max, "a number from " + min + " to " + max);
    }

    /** A number parsed by {@code parse} and checked by {@code inRange}; a problem (and the default) otherwise. */
    private <N> N number(String key, N defaultValue, java.util.function.Function<String, N> parse,
                         java.util.function.Predicate<N> inRange, String expected) {
        Object v = raw(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            N n = parse.apply(v.toString().trim());
            if (inRange.test(n)) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        errors.add(file, key(key), v, expected);
        return defaultValue;
    }

    /** A decimal amount such as a balance or a price; empty when absent. */
    public Optional<BigDecimal> bigDecimal(String key) {
        Object v = raw(key);
        if (v == null || v.toString().isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new BigDecimal(v.toString().trim()));
        } catch (NumberFormatException e) {
            errors.add(file, key(key), v, "a decimal number");
            return Optional.empty();
        }
    }

    /** A duration written {@code 500ms}, {@code 2s}, {@code 5m}, {@code 24h}, {@code 1d} or ISO-8601 {@code PT2S}. */
    public Duration duration(String key, Duration defaultValue) {
        Object v = raw(key);
        if (v == null || v.toString().isBlank()) {
            return defaultValue;
        }
        Optional<Duration> d = parseDuration(v.toString());
        if (d.isEmpty()) {
            errors.add(file, key(key), v, "a non-negative duration such as 500ms, 2s, 5m, 24h");
            return defaultValue;
        }
        return d.get();
    }

    /** As {@link #duration(String, Duration)}, above zero: zero is reported and {@code defaultValue} used. */
    public Duration positiveDuration(String key, Duration defaultValue) {
        Duration d = duration(key, defaultValue);
        if (d.isZero()) {
            problem(key, d, "a positive duration");
            return defaultValue;
        }
        return d;
    }

    /** As {@link #duration(String, Duration)}, at least {@code min}: less is reported and {@code defaultValue} used. */
    public Duration duration(String key, Duration defaultValue, Duration min) {
        Duration d = duration(key, defaultValue);
        if (d.compareTo(min) < 0) {
            problem(key, d, "at least " + min.toMillis() + "ms");
            return defaultValue;
        }
        return d;
    }

    /** Parses {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 5m}, {@code 24h}, {@code 1d} or ISO-8601; empty if invalid. */
    public static Optional<Duration> parseDuration(String text) {
        String s = text.trim();
        Matcher m = DURATION.matcher(s);
        if (m.matches()) {
            double amount = Double.parseDouble(m.group(1));
            double millis = switch (m.group(2)) {
                case "ms" -> amount;
                case "s" -> amount * 1_000;
                case "m" -> amount * 60_000;
                case "h" -> amount * 3_600_000;
                default -> amount * 86_400_000;
            };
            return Optional.of(Duration.ofMillis(Math.round(millis)));
        }
        try {
            Duration d = Duration.parse(s.toUpperCase());
            return d.isNegative() ? Optional.empty() : Optional.of(d);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A single value as YAML typed it: a {@code String}, {@code Boolean} or {@code Number} (an override from the
     * environment is a {@code String}); a map or list is a problem.
     *
     * @return empty when absent
     */
    public Optional<Object> scalar(String key) {
        Object v = raw(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Map || v instanceof List || !(v instanceof String || v instanceof Boolean || v instanceof Number)) {
            errors.add(file, key(key), v, "a single value (a string, number or boolean)");
            return Optional.empty();
        }
        return Optional.of(v);
    }

    /** A list of strings, written as a YAML list or a comma-separated string. */
    public List<String> stringList(String key, List<String> defaultValue) {
        Object v = raw(key);
        if (v == null) {
            return defaultValue;
        }
        List<String> out = new ArrayList<>();
        if (v instanceof List<?> list) {
            for (Object o : list) {
                if (o == null || o instanceof Map || o instanceof List) {
                    errors.add(file, key(key), v, "a list of names");
                    return defaultValue;
                }
                out.add(o.toString().trim());
            }
        } else if (v instanceof Map) {
            errors.add(file, key(key), v, "a list of names");
            return defaultValue;
        } else {
            for (String part : v.toString().split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return List.copyOf(out);
    }

    /** The raw map of this node as read from the file (overrides not applied), for change detection. */
    public Map<String, Object> effectiveView() {
        return Collections.unmodifiableMap(map);
    }

    /** Replaces a secret's value in the effective view (the admin output) by {@code shown}, e.g. {@code ****}. */
    public void redact(String key, Object shown) {
        effective.put(key, shown);
    }

    /** Records a problem with a key of this node. */
    public void problem(String key, Object value, String expected) {
        errors.add(file, key(key), value, expected);
    }
}
