package dev.imagerouter.policy;

/** What the router does after an attempt failed with a given {@link FailureKind}. */
public enum PolicyAction {
    /** Call the same provider again after a delay, up to the row's max retries; then fall back. */
    RETRY,
    /** Go on to the next provider in the chain at once. */
    FALLBACK,
    /** Stop the chain and answer the client with this failure. */
    FAIL
}
