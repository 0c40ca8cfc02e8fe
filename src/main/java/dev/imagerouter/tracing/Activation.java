package dev.imagerouter.tracing;

/** A trace context made current on this thread; {@link #close()} restores what was current before. */
@FunctionalInterface
public interface Activation extends AutoCloseable {

    @Override
    void close();
}
