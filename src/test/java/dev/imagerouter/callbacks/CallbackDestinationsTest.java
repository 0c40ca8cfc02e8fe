package dev.imagerouter.callbacks;

import dev.imagerouter.settings.RouterConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The request-time rules of callback URLs, on configurations loaded as the router loads them. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CallbackDestinationsTest {

    private static final String HOSTS = "*.example.com,hooks.internal.example,127.0.0.1";

    private CallbackDestinations live;
    private CallbackDestinations liveUnlisted;
    private CallbackDestinations sandbox;
    private CallbackDestinations liveWithoutSecret;

    @BeforeAll
    void load() {
        String secret = CallbackConfigs.newSecret();
        live = destinations(CallbackConfigs.live(Map.of("ROUTER_CALLBACK_SECRET", secret, "ROUTER_CALLBACKS_ALLOWED_HOSTS", HOSTS)));
        liveUnlisted = destinations(CallbackConfigs.live(Map.of("ROUTER_CALLBACK_SECRET", secret)));
        sandbox = destinations(CallbackConfigs.sandbox(Map.of("ROUTER_CALLBACKS_ALLOWED_HOSTS", "*.example.com")));
        liveWithoutSecret = destinations(CallbackConfigs.live(Map.of("ROUTER_CALLBACKS_ALLOWED_HOSTS", HOSTS)));
    }

    private static CallbackDestinations destinations(RouterConfig config) {
        return new CallbackDestinations(CallbackConfigs.running(config));
    }

    private static void allowed(CallbackDestinations d, String url) {
        assertEquals(Optional.empty(), d.check(url), url);
    }

    private static String refused(CallbackDestinations d, String url) {
        Optional<String> reason = d.check(url);
        assertTrue(reason.isPresent(), url + " was allowed");
        return reason.get();
    }

    @Test
    void aWildcardEntry_allowsHttpsOnPort443Only_andProperSubdomainsOnly() {
        allowed(live, "https://hooks.example.com/jobs/done?token=abc");
        allowed(live, "https://a.b.example.com:443/x");
        allowed(live, "HTTPS://Hooks.Example.COM/x");
        for (String url : new String[]{"http://hooks.example.com/x", "https://hooks.example.com:8443/x", "http://hooks.example.com:443/x"}) {
            String reason = refused(live, url);
            assertTrue(reason.contains("only https on port 443") && reason.contains("router.callbacks.allowed-hosts"), reason);
        }
        assertTrue(refused(live, "https://example.com/x").contains("is not in router.callbacks.allowed-hosts"));
        assertTrue(refused(live, "https://evil-example.com/x").contains("is not in router.callbacks.allowed-hosts"));
        assertTrue(refused(live, "https://hooks.example.com.evil.net/x").contains("is not in router.callbacks.allowed-hosts"));
    }

    @Test
    void anExactEntry_mayUseHttpAndAnyPort() {
        allowed(live, "http://hooks.internal.example:8080/cb");
        allowed(live, "https://hooks.internal.example/cb");
        allowed(live, "http://127.0.0.1:9999/cb");
        assertTrue(refused(live, "http://other.internal.example:8080/cb").contains("router.callbacks.allowed-hosts"));
    }

    @Test
    void loopbackHosts_areAllowedUnlisted_inSandboxModeOnly() {
        allowed(sandbox, "http://127.0.0.1:8080/cb");
        allowed(sandbox, "http://localhost:1/cb");
        allowed(sandbox, "http://[::1]:8080/cb");
        allowed(sandbox, "https://hooks.example.com/cb"); // the list still applies in sandbox mode
        assertTrue(refused(sandbox, "http://10.0.0.1/cb").contains("router.callbacks.allowed-hosts"));
        for (String url : new String[]{"http://127.0.0.1:8080/cb", "http://localhost:1/cb", "http://[::1]:8080/cb"}) {
            String reason = refused(liveUnlisted, url);
            assertTrue(reason.contains("router.callbacks.allowed-hosts") && reason.contains("sandbox mode only"), reason);
        }
    }

    @Test
    void malformedUrls_userInfo_andOverlongUrls_areRefused() {
        assertTrue(refused(live, "https://user:pw@hooks.example.com/x").contains("user info"));
        assertTrue(refused(live, "https://user@hooks.internal.example/x").contains("user info"));
        assertTrue(refused(live, "https://hooks.example.com/" + "a".repeat(2048)).contains("longer than 2048"));
        allowed(live, "https://hooks.example.com/" + "a".repeat(2048 - "https://hooks.example.com/".length()));
        assertTrue(refused(live, "/relative/path").contains("absolute http or https"));
        assertTrue(refused(live, "ftp://hooks.example.com/x").contains("absolute http or https"));
        assertTrue(refused(live, "https://hooks.example.com/x#frag").contains("fragment"));
        assertTrue(refused(live, "https://hooks example.com/x").contains("not a valid URL"));
        assertTrue(refused(live, "https://under_score.example.com/x").contains("no valid host"));
        assertTrue(refused(live, "").contains("empty"));
        assertTrue(refused(live, null).contains("empty"));
    }

    @Test
    void liveModeWithoutASecret_refusesEveryCallback_namingTheVariable() {
        for (String url : new String[]{"https://hooks.example.com/x", "http://hooks.internal.example:8080/cb"}) {
            assertTrue(refused(liveWithoutSecret, url).contains("ROUTER_CALLBACK_SECRET"), url);
        }
    }

    @Test
    void theAddressGuard_knowsNonPublicAddresses() throws Exception {
        for (String address : new String[]{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
                "::1", "::", "fe80::1", "fd00::1", "fc00::1", "fec0::1", "::ffff:127.0.0.1", "::10.0.0.1", "224.0.0.1"}) {
            assertTrue(CallbackDestinations.isNonPublic(InetAddress.getByName(address)), address);
        }
        for (String address : new String[]{"93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "172.32.0.1"}) {
            assertFalse(CallbackDestinations.isNonPublic(InetAddress.getByName(address)), address);
        }
    }
}
