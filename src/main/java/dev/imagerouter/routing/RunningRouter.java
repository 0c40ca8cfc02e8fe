package dev.imagerouter.routing;

import dev.imagerouter.settings.RouterConfig;

/**
 * The running configuration and chain, as the generation core sees them: a narrow view of the
 * wiring's snapshot (which swaps both atomically on a reload). Read it per use, never cache it.
 */
public interface RunningRouter {

    /** The configuration in force now. */
    RouterConfig config();

    /** The chain new requests use now. */
    Chain chain();
}
