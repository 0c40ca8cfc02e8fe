/**
 * State shared by several replicas through Redis ({@code REDIS_URI}): the connection and its
 * up/down state ({@link dev.imagerouter.cluster.Cluster}), the replica id, key names, leases, and the
 * fallback accounting when Redis is down. Imports nothing of the generation core above the settings:
 * the cache, routing, credits, jobs and the API build their shared state on it. Absent from the
 * emulators process (environment {@code emulators}).
 */
@Configuration
@Requires(notEnv = "emulators")
package dev.imagerouter.cluster;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
