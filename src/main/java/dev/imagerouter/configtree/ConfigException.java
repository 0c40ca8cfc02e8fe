package dev.imagerouter.configtree;

import java.util.List;

/**
 * The configuration is invalid. The message lists every problem found, each naming the file,
 * the key, the value and what was expected — never only the first one.
 */
public class ConfigException extends RuntimeException {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super("invalid image-router configuration (" + problems.size() + " problem"
                + (problems.size() == 1 ? "" : "s") + "):\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
