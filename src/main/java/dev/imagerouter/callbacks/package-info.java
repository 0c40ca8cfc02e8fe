/**
 * Outbound job callbacks: the check of a client's callback URL ({@link dev.imagerouter.callbacks.CallbackDestinations})
 * and the signed, retried delivery of a finished job to it ({@link dev.imagerouter.callbacks.CallbackSender}).
 * Self-contained: it knows nothing of jobs beyond the bytes it is given. Part of the router; absent from the
 * emulators process (environment {@code emulators}).
 */
@Configuration
@Requires(notEnv = "emulators")
package dev.imagerouter.callbacks;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
