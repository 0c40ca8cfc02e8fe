package dev.imagerouter.api;

/**
 * Checks an {@code X-Sandbox-Fault} plan the way the emulators will read it, so that a plan they would
 * reject is the client's 400, not a failed chain. Provided by the wiring (the API does not know the
 * emulators); only consulted in sandbox mode.
 */
@FunctionalInterface
public interface SandboxFaultCheck {

    /** @throws IllegalArgumentException naming what is wrong with {@code plan} */
    void check(String plan);
}
