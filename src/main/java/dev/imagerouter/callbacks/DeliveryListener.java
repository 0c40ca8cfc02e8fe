package dev.imagerouter.callbacks;

/**
 * Hears the outcome of every delivery of one {@link Callback}, e.g. to record it with the job so that delivery can
 * resume after a restart ({@link Callback#previousAttempts()}, {@link Callback#firstAttemptAt()}).
 *
 * <p>Called on the sender's one callback thread, one call at a time, in delivery order; the last call for a message
 * has outcome DELIVERED or GAVE_UP (none follows when the sender is closed while a retry is pending). Keep it short:
 * a slow listener delays other callbacks (never a generation). An exception it throws is logged and ignored: it
 * cannot change or stop the delivery.
 */
@FunctionalInterface
public interface DeliveryListener {

    /** A listener that ignores every delivery. */
    DeliveryListener NONE = delivery -> {
    };

    void onDelivery(Delivery delivery);
}
