package dev.imagerouter.tracing;

import io.opentelemetry.context.Context;

/**
 * Where a walk's spans hang: the trace context that was current where the walk started, i.e. the
 * request's server span. Captured on the request's thread and carried with the walk, because the
 * walk goes on on other threads (disk reads, HTTP event loops, the scheduler, storage workers) where
 * that context is not current. Immutable.
 */
public final class TraceParent {

    /** No parent: spans made under it start traces of their own. */
    public static final TraceParent NONE = new TraceParent(Context.root());

    final Context context;

    private TraceParent(Context context) {
        this.context = context;
    }

    /** The trace context current on this thread. */
    public static TraceParent current() {
        Context context = Context.current();
        return context == Context.root() ? NONE : new TraceParent(context);
    }

    /** Makes this context current on this thread until the activation is closed (work started meanwhile hangs under it). */
    public Activation activate() {
        return context.makeCurrent()::close;
    }
}
