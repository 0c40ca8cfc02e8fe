package dev.imagerouter.api;

import io.micronaut.context.condition.Condition;
import io.micronaut.context.condition.ConditionContext;

/**
 * Whether a Redis URI is configured, read from the same places as the router's configuration reads
 * {@code redis.uri} (config.ConfigOverrides): the environment variable {@code REDIS_URI}, the system
 * property {@code redis.uri}, or a property given to the application context; blank counts as unset.
 * Beans that exist only for several replicas (REDIS_URI) require it, so they exist exactly when the
 * shared state does.
 */
public final class RedisConfigured implements Condition {

    @Override
    public boolean matches(ConditionContext context) {
        return present(System.getenv("REDIS_URI")) || present(System.getProperty("redis.uri"))
                || context.getProperty("redis.uri", String.class).filter(RedisConfigured::present).isPresent();
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
