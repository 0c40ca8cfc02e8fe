package dev.imagerouter.sandbox;

import java.util.Locale;

/** The provider types the sandbox emulates; {@link #wireName()} is the fault-target spelling ({@code leonardo}, {@code openai}). */
public enum EmulatorType {
    LEONARDO,
    OPENAI;

    /** Lower-case name used as a fault target and in {@link SandboxStats}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
