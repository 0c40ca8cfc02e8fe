package dev.imagerouter.callbacks;

import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.settings.CallbackSettings;
import dev.imagerouter.settings.RouterConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/*
 * Why exact hosts skip the address check: an operator who lists hooks.internal.example or 127.0.0.1 by name
 * means that host, wherever it is. A wildcard entry admits names the operator never saw, chosen by clients,
 * so a name under it that resolves into the router's own network (a DNS record pointing at 127.0.0.1, 10.x,
 * 169.254.169.254, ...) is refused before each delivery.
 *
 * The check resolves the name with InetAddress just before the delivery, and Micronaut's HTTP client then
 * resolves it again (its default resolver is the JDK's, netty's DefaultAddressResolverGroup). Both lookups
 * go through the JVM's address cache (networkaddress.cache.ttl, 30 s by default), so the client connects to
 * an address set this check saw; the guard relies on that cache staying on (a TTL of 0 would reopen a DNS
 * rebinding window between the two lookups). A pooled connection is reused without a lookup: it was opened
 * to an address checked earlier.
 */
/**
 * Which callback URLs the router may POST to ({@code router.callbacks.allowed-hosts}) and whether callbacks are on at
 * all ({@code ROUTER_CALLBACK_SECRET}). Reads the running configuration on every call, so a reload applies.
 * Thread-safe.
 *
 * <p>A URL is allowed when all of these hold, checked in this order:
 * <ol>
 *   <li>the router has a signing secret ({@code ROUTER_CALLBACK_SECRET}; sandbox mode has a built-in one);</li>
 *   <li>it is at most {@value #MAX_URL_LENGTH} characters and an absolute {@code http} or {@code https} URL with a
 *       host, without user info and without a fragment;</li>
 *   <li>its host is listed by exact name (then http or https, any port), or is {@code 127.0.0.1}, {@code localhost}
 *       or {@code [::1]} in sandbox mode (http or https, any port), or matches a {@code *.suffix} entry, and then the
 *       scheme is https on port 443.</li>
 * </ol>
 * Before each delivery to a host matched by a wildcard entry, every address the name resolves to must be public:
 * not loopback, site-local (10/8, 172.16/12, 192.168/16, fec0::/10), unique-local (fc00::/7), link-local
 * (169.254/16, fe80::/10), wildcard (0.0.0.0, ::) or multicast.
 */
@Singleton
public final class CallbackDestinations {

    /** Longest accepted callback URL, in characters. */
    public static final int MAX_URL_LENGTH = 2048;
    /** Loopback hosts allowed in sandbox mode without being listed (http or https, any port). */
    public static final Set<String> SANDBOX_LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]");

    /** Name resolution for the delivery-time check; tests replace it. */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /**
     * How a URL fares under the request-time rules.
     *
     * @param refusal      why it is refused, or empty when allowed
     * @param checkAddress whether its host came in through a wildcard entry: its addresses are checked before each
     *                     delivery
     */
    record Verdict(Optional<String> refusal, boolean checkAddress) {
        static Verdict refused(String reason) {
            return new Verdict(Optional.of(reason), false);
        }
    }

    private final RunningRouter runtime;
    private final Resolver resolver;

    @Inject
    public CallbackDestinations(RunningRouter runtime) {
        this(runtime, InetAddress::getAllByName);
    }

    CallbackDestinations(RunningRouter runtime, Resolver resolver) {
        this.runtime = runtime;
        this.resolver = resolver;
    }

    /**
     * The request-time check, for the API to answer 400 before a job is accepted. Does no network lookup.
     *
     * @param url the callback URL a client gave, possibly null
     * @return empty when the URL may be used; otherwise one sentence saying why not, naming
     *         {@code router.callbacks.allowed-hosts} or {@code ROUTER_CALLBACK_SECRET} where the operator can change it
     *         (fit for the client: it names the client's own host, never another setting's value)
     */
    public Optional<String> check(String url) {
        RouterConfig config = runtime.config();
        return verdict(settings(config), config.sandbox().enabled(), url).refusal();
    }

    /**
     * The delivery-time check: the request-time rules under the configuration running now, plus, for a host
     * matched by a wildcard entry, the address check. May block on a DNS lookup.
     *
     * @return empty when the delivery may go ahead, else why not (the callback is then given up)
     * @throws UnknownHostException when a wildcard-matched name does not resolve (a network error: retried)
     */
    Optional<String> checkAtDelivery(URI url) throws UnknownHostException {
        RouterConfig config = runtime.config();
        Verdict verdict = verdict(settings(config), config.sandbox().enabled(), url.toString());
        if (verdict.refusal().isPresent() || !verdict.checkAddress()) {
            return verdict.refusal();
        }
        String host = url.getHost();
        for (InetAddress address : resolver.resolve(host)) {
            if (isNonPublic(address)) {
                return Optional.of("callback host " + host + " resolves to a loopback, private, link-local or wildcard"
                        + " address, which hosts matched by a wildcard entry of router.callbacks.allowed-hosts may not use");
            }
        }
        return Optional.empty();
    }

    /** The settings of a configuration; none (every callback refused) when it has no callbacks section. */
    static CallbackSettings settings(RouterConfig config) {
        return Optional.ofNullable(config.callbacks()).orElseGet(CallbackSettings::defaults);
    }

    /** The request-time rules on given settings and mode. */
    static Verdict verdict(CallbackSettings settings, boolean sandbox, String url) {
        if (settings.secret().isEmpty()) {
            return Verdict.refused("callbacks are disabled on this router: it has no signing secret"
                    + " (the operator sets ROUTER_CALLBACK_SECRET)");
        }
        if (url == null || url.isBlank()) {
            return Verdict.refused("the callback URL is empty");
        }
        if (url.length() > MAX_URL_LENGTH) {
            return Verdict.refused("the callback URL is longer than " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Verdict.refused("the callback URL is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https"))) {
            return Verdict.refused("the callback URL must be an absolute http or https URL");
        }
        if (uri.getRawUserInfo() != null) {
            return Verdict.refused("the callback URL must not contain user info (user:password@)");
        }
        if (uri.getHost() == null) {
            return Verdict.refused("the callback URL has no valid host name");
        }
        if (uri.getRawFragment() != null) {
            return Verdict.refused("the callback URL must not have a fragment (#...)");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (settings.listedExactly(host)) {
            return new Verdict(Optional.empty(), false);
        }
        if (sandbox && SANDBOX_LOOPBACK_HOSTS.contains(host)) {
            return new Verdict(Optional.empty(), false);
        }
        if (settings.matchesWildcard(host)) {
            if (!scheme.equals("https") || (uri.getPort() != -1 && uri.getPort() != 443)) {
                return Verdict.refused("callback host " + host + " matches a wildcard entry of router.callbacks.allowed-hosts,"
                        + " which allows only https on port 443 (an entry naming the host exactly allows http and other ports)");
            }
            return new Verdict(Optional.empty(), true);
        }
        return Verdict.refused("callback host " + host + " is not allowed: it is not in router.callbacks.allowed-hosts"
                + (SANDBOX_LOOPBACK_HOSTS.contains(host) ? " (loopback hosts need no listing in sandbox mode only)" : ""));
    }

    /**
     * Whether an address is one a wildcard-matched callback host may not resolve to: loopback, site-local, IPv6
     * unique-local (fc00::/7, which {@link InetAddress#isSiteLocalAddress()} does not cover), link-local, wildcard or
     * multicast; an IPv4-compatible IPv6 address is judged by its IPv4 part.
     */
    static boolean isNonPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        if (address instanceof Inet6Address v6) {
            byte[] bytes = v6.getAddress();
            if ((bytes[0] & 0xfe) == 0xfc) {
                return true;
            }
            if (v6.isIPv4CompatibleAddress()) {
                try {
                    return isNonPublic(Inet4Address.getByAddress(java.util.Arrays.copyOfRange(bytes, 12, 16)));
                } catch (UnknownHostException e) {
                    return true; // cannot happen for 4 bytes
                }
            }
        }
        return false;
    }
}
