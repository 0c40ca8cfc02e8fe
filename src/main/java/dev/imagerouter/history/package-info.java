/** Part of the router; absent from the emulators process (environment {@code emulators}). */
@Configuration
@Requires(notEnv = "emulators")
package dev.imagerouter.history;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
