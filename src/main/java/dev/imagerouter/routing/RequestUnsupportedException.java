package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Unsupported;

/**
 * No provider of the chain can serve the request as asked (each said so through
 * {@code ImageProvider.unsupported}): the client's request is the problem, answered 400 naming
 * {@link Unsupported#param()}, and no provider is called.
 */
public final class RequestUnsupportedException extends RuntimeException {

    private final Unsupported reason;

    public RequestUnsupportedException(Unsupported reason) {
        super("No provider in the chain can serve this request: " + reason.reason() + ".", null, false, false);
        this.reason = reason;
    }

    public Unsupported reason() {
        return reason;
    }
}
