package dev.imagerouter.tracing;

import dev.imagerouter.vocabulary.Attempt;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;

/**
 * One provider attempt's span ({@value Tracing#ATTEMPT_SPAN}), started when the attempt starts and
 * ended with its {@link Attempt} record when it ends, whatever thread that is on. Thread-safe.
 */
public final class AttemptSpan {

    private final Span span;
    private final Context context;

    AttemptSpan(Span span, Context parent) {
        this.span = span;
        this.context = parent.with(span);
    }

    /**
     * Makes the attempt current on this thread: the provider calls an adapter starts meanwhile carry it
     * (see {@code TraceHeaders}).
     */
    public Activation activate() {
        return context.makeCurrent()::close;
    }

    /** Ends the span with the attempt's provider, outcome, failure kind and HTTP status. */
    public void end(Attempt attempt) {
        if (span.isRecording()) {
            Tracing.describe(span, attempt);
            if (attempt.outcome() == Attempt.FAILURE) {
                span.setStatus(StatusCode.ERROR, attempt.failureKind() == null ? "" : attempt.failureKind().name());
            }
        }
        span.end();
    }
}
