package dev.imagerouter.configtree;

import java.util.ArrayList;
import java.util.List;

/** Collects configuration problems so that all of them are reported at once. Not thread-safe. */
public final class ConfigErrors {

    private final List<String> problems = new ArrayList<>();

    /** Records one problem: {@code <file>: <key> = '<value>': expected <expected>}. */
    public void add(String file, String key, Object value, String expected) {
        problems.add(file + ": " + key + " = '" + value + "': expected " + expected);
    }

    public void addMessage(String message) {
        problems.add(message);
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    /** @throws ConfigException listing every recorded problem, if there is any */
    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
