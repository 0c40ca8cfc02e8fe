/**
 * The wiring: beans, configuration loading and reload, the running snapshot, and the only package
 * that knows the sandbox emulators. Its router beans require another environment than
 * {@code emulators}; {@link dev.imagerouter.config.EmulatorsProcess} requires that one.
 */
package dev.imagerouter.config;
