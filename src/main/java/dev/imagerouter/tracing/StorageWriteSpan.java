package dev.imagerouter.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/** One image write's span ({@value Tracing#STORAGE_WRITE_SPAN}); ended once, on the writing thread. */
public final class StorageWriteSpan {

    private final Span span;

    StorageWriteSpan(Span span) {
        this.span = span;
    }

    /** The same bytes were already stored: nothing was written. */
    public void existing() {
        span.setAttribute(Tracing.STORAGE_EXISTING, true);
    }

    /** The write failed with {@code error} (only its type is recorded: its message names the store's path). */
    public void failed(Throwable error) {
        if (span.isRecording()) {
            span.setAttribute(Tracing.ERROR_TYPE, error.getClass().getName());
            span.setStatus(StatusCode.ERROR, "write failed");
        }
    }

    public void end() {
        span.end();
    }
}
