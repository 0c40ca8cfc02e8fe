package dev.imagerouter.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A parser for the Prometheus text exposition format 0.0.4 (what {@code GET /prometheus} serves):
 * one sample a line, {@code name{label="value",...} value [timestamp]}; {@code #} lines are skipped.
 * Label values may contain the escapes {@code \\}, {@code \"} and {@code \n}.
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
final class PrometheusText {

    /** One sample: series name, its labels (ordered by name) and the value as written. */
    record Series(String name, Map<String, String> labels, String value) {
        double number() {
            return Double.parseDouble(value);
        }
    }

    private final List<Series> series;

    private PrometheusText(List<Series> series) {
        this.series = List.copyOf(series);
    }

    /** Parses a whole scrape; throws {@link IllegalArgumentException} naming the line on bad input. */
    static PrometheusText parse(String text) {
        List<Series> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            out.add(parseLine(line));
        }
        return new PrometheusText(out);
    }

    List<Series> series() {
        return series;
    }

    /** Samples whose name is {@code name}. */
    List<Series> named(String name) {
        return series.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** Every series name in the scrape. */
    Set<String> names() {
        Set<String> names = new TreeSet<>();
        series.forEach(s -> names.add(s.name()));
        return names;
    }

    /**
     * For the series whose name starts with one of {@code prefixes}: "name/label" → the set of values
     * that label takes.
     */
    Map<String, Set<String>> labelValues(List<String> prefixes) {
        Map<String, Set<String>> values = new TreeMap<>();
        for (Series s : series) {
            if (prefixes.stream().noneMatch(s.name()::startsWith)) {
                continue;
            }
            s.labels().forEach((label, value) -> values.computeIfAbsent(s.name() + "/" + label, k -> new TreeSet<>()).add(value));
        }
        return values;
    }

    private static Series parseLine(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq).trim();
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("label value not quoted: " + line);
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                }
                labels.put(label, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        String[] rest = line.substring(i).trim().split(" ");
        if (name.isEmpty() || rest.length == 0 || rest[0].isEmpty()) {
            throw new IllegalArgumentException("not a sample line: " + line);
        }
        return new Series(name, Collections.unmodifiableMap(new TreeMap<>(labels)), rest[0]);
    }
}
