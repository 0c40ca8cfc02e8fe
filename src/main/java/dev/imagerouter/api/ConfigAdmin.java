package dev.imagerouter.api;

import java.nio.file.Path;
import java.util.List;

/** What {@code /admin/config} and {@code /admin/reload} need of the wiring. Thread-safe. */
public interface ConfigAdmin {

    /** The configuration directory the router reads. */
    Path configDir();

    /** Reads, validates and applies the configuration files now; a rejected reload changes nothing. */
    Reload reload();

    /**
     * @param applied  whether the new configuration is in force
     * @param chain    the chain in force afterwards
     * @param problems why it was rejected (empty when applied)
     */
    record Reload(boolean applied, List<String> chain, List<String> problems) {
    }
}
