package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderResult;

import java.util.Optional;

/**
 * Holds a provider's daily spend ceiling against concurrent requests: before each call that may be
 * paid (a create, a generation) the router reserves the call's expected cost, and once the call's
 * fate is known it either settles the reservation (the call was paid: the actual cost replaces the
 * estimate) or releases it (nothing was paid: refused, failed before accept, a Leonardo job that
 * ended FAILED). So concurrent requests overshoot a budget by at most one call (plus the error of the estimates).
 * Implementations are beans; fast and thread-safe.
 */
public interface SpendReservations {

    /**
     * Reserves the expected cost of one call of {@code provider} for {@code request}.
     *
     * @return the reservation, or empty when the provider's budget for today cannot take it (the router
     *         then skips the provider with trail reason {@code BUDGET}, without a call)
     */
    Optional<Reservation> reserve(ProviderHandle provider, ImageRequest request);

    /**
     * As {@link #reserve}, for ceilings kept outside this process (shared by replicas): completes when
     * decided, never exceptionally. The default decides at once with {@link #reserve}.
     */
    default java.util.concurrent.CompletableFuture<Optional<Reservation>> reserveAsync(ProviderHandle provider, ImageRequest request) {
        try {
            return java.util.concurrent.CompletableFuture.completedFuture(reserve(provider, request));
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /** One reserved call. The first of {@link #settle} and {@link #release} wins; later calls are ignored. */
    interface Reservation {

        /**
         * The call was paid.
         *
         * @param actual what the provider reported it cost, or empty (then the reserved estimate stands)
         */
        void settle(Optional<ProviderResult.Cost> actual);

        /** Nothing was paid: the reservation is given back. */
        void release();

        /** A reservation that holds nothing. */
        Reservation NONE = new Reservation() {
            @Override
            public void settle(Optional<ProviderResult.Cost> actual) {
            }

            @Override
            public void release() {
            }
        };
    }

    /** No ceilings: every call is allowed and nothing is recorded. */
    SpendReservations NONE = (provider, request) -> Optional.of(Reservation.NONE);
}
