package dev.imagerouter.vocabulary;

/**
 * Why a provider cannot serve a request as asked (a capability, not a failure): the router skips
 * it without a call (trail reason {@code UNSUPPORTED}, {@link #reason()} in the message), and
 * when no provider of the chain can serve the request the client gets a 400 naming {@link #param()}.
 *
 * @param param  the request field that the provider cannot honour, e.g. {@code prompt} or {@code background}
 * @param reason a short sentence for the trail and the client, e.g. "prompt longer than Leonardo's 1500 characters"
 */
public record Unsupported(String param, String reason) {
}
