package dev.imagerouter.sandbox;

/**
 * Tells the sandbox whether this process serves the emulators in-process (sandbox mode). The
 * wiring implements it from the configuration it loaded at startup; the sandbox package only asks.
 * The emulators process (environment {@value EmulatorsCondition#EMULATORS_ENV}) serves them without asking.
 */
@FunctionalInterface
public interface EmulatorSwitch {

    /** Whether the emulators serve in this process; fixed at startup. */
    boolean emulatorsServe();
}
