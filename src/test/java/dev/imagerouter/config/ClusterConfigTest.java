package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.settings.ClusterSettings;
import dev.imagerouter.testing.TestConfigDir;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code REDIS_URI} and {@code router.redis.*}, read by the loader with environment overrides. */
class ClusterConfigTest {

    private static ClusterSettings load(Map<String, String> env) {
        return new ConfigLoader(new ConfigOverrides(null, env::get), env::get, ProviderAdapters::validate)
                .load(TestConfigDir.copyOfRepository().configDir()).cluster();
    }

    @Test
    void withoutRedisUri_theShippedFile_runsOneReplicaWithEmbeddedState() {
        ClusterSettings c = load(Map.of());
        assertFalse(c.enabled());
        assertEquals("image-router:", c.keyPrefix());
        assertEquals(Optional.empty(), c.replicaId());
        assertEquals(Duration.ofMillis(500), c.timeout());
        assertEquals(Duration.ofSeconds(15), c.leaseTtl());
        assertEquals(Duration.ofMinutes(3), c.flightWait());
    }

    @Test
    void redisUriAndOverrides_areRead_andTheEndpointShowsNoCredentials() {
        ClusterSettings c = load(Map.of("REDIS_URI", "redis://:s3cret-pass@127.0.0.1:6390/2", "ROUTER_REDIS_KEY_PREFIX", "blue:",
                "ROUTER_REPLICA_ID", "router-1", "ROUTER_REDIS_LEASE_TTL", "4s", "ROUTER_REDIS_TIMEOUT", "250ms"));
        assertTrue(c.enabled());
        assertEquals("redis://127.0.0.1:6390", c.redisEndpoint());
        assertEquals("blue:", c.keyPrefix());
        assertEquals(Optional.of("router-1"), c.replicaId());
        assertEquals(Duration.ofSeconds(4), c.leaseTtl());
        assertEquals(Duration.ofMillis(250), c.timeout());
        assertFalse(c.toString().contains("s3cret-pass"), "the URI is a secret: " + c);
    }

    @Test
    void aBadRedisUri_orReplicaId_stopsStartup_namingTheKey_withoutShowingTheUri() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(Map.of("REDIS_URI", "http://:s3cret-pass@example.com", "ROUTER_REPLICA_ID", "no spaces please")));
        assertTrue(e.getMessage().contains("REDIS_URI"), e.getMessage());
        assertTrue(e.getMessage().contains("router.replica-id"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret-pass"), e.getMessage());
    }
}
