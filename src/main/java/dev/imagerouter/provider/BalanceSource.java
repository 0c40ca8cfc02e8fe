package dev.imagerouter.provider;

import java.math.BigDecimal;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A provider account's credit balance, for the credit monitor (Leonardo: {@code GET /me}). Thread-safe. */
public interface BalanceSource {

    /**
     * Asks for the balance once, in the provider's own unit (Leonardo: API credits, or USD on PAYG plans).
     *
     * @param headers extra request headers (the sandbox's provider tag)
     * @return completes with the balance, or exceptionally with a classified
     *         {@link dev.imagerouter.vocabulary.ProviderFailure}; the caller bounds the wait and may cancel it
     */
    CompletableFuture<BigDecimal> balance(Map<String, String> headers);
}
