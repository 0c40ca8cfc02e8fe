package dev.imagerouter.config;

import dev.imagerouter.cache.SharedFlights;
import dev.imagerouter.cache.SharedIdempotencyKeys;
import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.Leases;
import dev.imagerouter.routing.SharedLimits;
import dev.imagerouter.storage.ImageStore;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.time.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Named;

import java.util.concurrent.ScheduledExecutorService;

/**
 * Wires the link to the state replicas share ({@code REDIS_URI}; README "Running several replicas").
 * Created with the context so the connection is attempted at startup, in the background: startup
 * never waits for Redis and never fails because it is down.
 */
@io.micronaut.context.annotation.Requires(notEnv = dev.imagerouter.sandbox.EmulatorsCondition.EMULATORS_ENV)
@Factory
public class ClusterBeans {

    /** Without {@code REDIS_URI}: {@link Cluster#enabled()} is false and nothing connects (single node, as before). */
    @Context
    @Bean(preDestroy = "close")
    Cluster cluster(RouterBeans.ConfigBootstrap bootstrap, @Named("router-scheduler") ScheduledExecutorService scheduler,
                    MeterRegistry registry) {
        return Cluster.start(bootstrap.config().cluster(), scheduler, registry);
    }

    /** Leases this replica holds in Redis (generations in flight, provider slots, the credit check), renewed while held. */
    @Singleton
    Leases leases(Cluster cluster, @Named("router-scheduler") ScheduledExecutorService scheduler) {
        return new Leases(cluster, scheduler);
    }

    /** The providers' account-wide limits across replicas ({@link SharedLimits#NONE} without Redis). */
    @Singleton
    SharedLimits sharedLimits(Cluster cluster, Leases leases) {
        return cluster.enabled() ? new SharedLimits(cluster, leases) : SharedLimits.NONE;
    }

    /** Idempotency-Keys across replicas ({@link SharedIdempotencyKeys#NONE} without Redis). */
    @Singleton
    SharedIdempotencyKeys sharedIdempotencyKeys(Cluster cluster, RouterBeans.ConfigBootstrap bootstrap,
                                                @Named("router-scheduler") ScheduledExecutorService scheduler) {
        return cluster.enabled() ? new SharedIdempotencyKeys(cluster, scheduler, bootstrap.config().cache().ttl(),
                bootstrap.config().cache().idempotencyKeysPerClient()) : SharedIdempotencyKeys.NONE;
    }

    /** Single flight across replicas after the cache's own levels ({@link SharedFlights#NONE} without Redis). */
    @Singleton
    SharedFlights sharedFlights(Cluster cluster, Leases leases, JsonMapper json, ImageStore store, Clock clock,
                                RouterBeans.ConfigBootstrap bootstrap, @Named("router-scheduler") ScheduledExecutorService scheduler) {
        if (!cluster.enabled()) {
            return SharedFlights.NONE;
        }
        return new SharedFlights(cluster, leases, json, store, bootstrap.config().cache().ttl(), clock, scheduler);
    }
}
