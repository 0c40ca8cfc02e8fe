package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigException;
import dev.imagerouter.settings.JobSettings;
import dev.imagerouter.testing.TestConfigDir;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code router.jobs.dir}, {@code lease-ttl} and {@code lease-renew}: the shipped defaults, overrides, and a renewal too slow for its TTL. */
class JobLeaseConfigTest {

    private static JobSettings load(Map<String, String> env) {
        return new ConfigLoader(new ConfigOverrides(null, env::get), env::get, ProviderAdapters::validate)
                .load(TestConfigDir.copyOfRepository().configDir()).jobs();
    }

    @Test
    void theShippedFile_renewsA20sLeaseEvery5s_andKeepsJobsUnderTheStorageDir() {
        JobSettings jobs = load(Map.of());
        assertEquals(Duration.ofSeconds(20), jobs.leaseTtl());
        assertEquals(Duration.ofSeconds(5), jobs.leaseRenew());
        assertEquals("", jobs.dir());
    }

    @Test
    void overridesAreRead() {
        JobSettings jobs = load(Map.of("ROUTER_JOBS_LEASE_TTL", "3s", "ROUTER_JOBS_LEASE_RENEW", "500ms",
                "ROUTER_JOBS_DIR", "/data/jobs/router-1"));
        assertEquals(Duration.ofSeconds(3), jobs.leaseTtl());
        assertEquals(Duration.ofMillis(500), jobs.leaseRenew());
        assertEquals("/data/jobs/router-1", jobs.dir());
    }

    @Test
    void aRenewalSlowerThanHalfTheTtl_stopsStartup_namingBothKeys() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(Map.of("ROUTER_JOBS_LEASE_TTL", "10s", "ROUTER_JOBS_LEASE_RENEW", "6s")));
        assertTrue(e.getMessage().contains("router.jobs.lease-renew"), e.getMessage());
        assertTrue(e.getMessage().contains("router.jobs.lease-ttl"), e.getMessage());
    }
}
