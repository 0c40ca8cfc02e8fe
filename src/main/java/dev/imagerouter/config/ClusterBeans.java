package dev.imagerouter.config;

import dev.imagerouter.cluster.Cluster;
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
}
