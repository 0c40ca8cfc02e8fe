package dev.imagerouter.routing;

/** A walk ended because its job was cancelled before any provider call it was waiting for. */
public final class WalkCancelledException extends RuntimeException {

    public WalkCancelledException(String message) {
        super(message, null, false, false);
    }
}
