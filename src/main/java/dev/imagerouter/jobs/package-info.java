/**
 * Asynchronous generation jobs: durable job records (a file store, or Redis shared by the replicas
 * with ownership leases and takeover), their runs (queued for provider permits), progress events,
 * signed completion callbacks and batches. Core layer: imports the vocabulary, routing, storage,
 * callbacks and cluster, never the API or the wiring (the API renders job documents through
 * {@link dev.imagerouter.jobs.JobDocuments}).
 */
@Configuration
@Requires(notEnv = "emulators")
package dev.imagerouter.jobs;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
