/**
 * The provider emulators (Leonardo REST API v1 and v2 with its CDN, OpenAI Images API) and their fault
 * injection. Every bean here exists only in sandbox mode or in the emulators process
 * ({@link dev.imagerouter.sandbox.EmulatorsCondition}); live mode has none of them.
 */
@Configuration
@Requires(condition = EmulatorsCondition.class)
package dev.imagerouter.sandbox;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
