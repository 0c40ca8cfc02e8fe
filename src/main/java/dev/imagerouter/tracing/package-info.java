/**
 * The router's OpenTelemetry spans, behind the router's own small types: the rest of the router sees
 * {@link dev.imagerouter.tracing.Tracing}, {@link dev.imagerouter.tracing.TraceParent} and the
 * span handles here, never the OpenTelemetry API (ArchitectureTest keeps it to this package and the
 * wiring). Plain classes, no beans: the wiring builds {@code Tracing} from Micronaut tracing's
 * {@code OpenTelemetry} bean; tests and tools use {@link dev.imagerouter.tracing.Tracing#NONE}.
 */
package dev.imagerouter.tracing;
