package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.vocabulary.Secret;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Several replicas sharing state through Redis ({@code router.redis.*}, {@code router.replica-id}, and
 * the Redis URI from {@code REDIS_URI} / {@code redis.uri}). Read once at startup: a reload does not
 * change them.
 *
 * @param redisUri    {@code redis://[[user]:password@]host[:port][/db]} or {@code rediss://…} (TLS); empty:
 *                    one replica with embedded state, as without this feature. A secret (it may hold a
 *                    password): never logged or shown, {@link #redisEndpoint()} is
 * @param keyPrefix   put before every key and channel name ({@code router.redis.key-prefix}, default
 *                    {@value #DEFAULT_KEY_PREFIX}), so two deployments can share one Redis
 * @param replicaId   this process's name in leases ({@code router.replica-id}); empty: a random one per
 *                    process start
 * @param timeout     the longest wait for one Redis operation ({@code router.redis.timeout}, default
 *                    500 ms); past it the operation falls back to this replica's own state
 * @param leaseTtl    how long a lease (a generation in flight, a provider's concurrency slot, the
 *                    credit check) outlives its replica's last renewal ({@code router.redis.lease-ttl},
 *                    default 15 s); leases are renewed every third of it, so a replica that dies frees
 *                    them within this time
 * @param flightWait  the longest a request waits for an identical generation another replica runs
 *                    ({@code router.redis.flight-wait}, default 3 min: a whole chain's timeouts); then it
 *                    generates on its own
 */
public record ClusterSettings(Optional<Secret> redisUri, String keyPrefix, Optional<String> replicaId, Duration timeout,
                              Duration leaseTtl, Duration flightWait) {

    private static final Pattern REPLICA_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern KEY_PREFIX = Pattern.compile("[!-~]{0,64}");

    /** The property holding the Redis URI; the environment variable {@code REDIS_URI} sets it. */
    public static final String REDIS_URI_PROPERTY = "redis.uri";
    public static final String DEFAULT_KEY_PREFIX = "image-router:";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);
    public static final Duration DEFAULT_FLIGHT_WAIT = Duration.ofMinutes(3);
    /** No Redis: the embedded single-node default. */
    public static final ClusterSettings SINGLE_NODE = new ClusterSettings(Optional.empty(), DEFAULT_KEY_PREFIX,
            Optional.empty(), DEFAULT_TIMEOUT, DEFAULT_LEASE_TTL, DEFAULT_FLIGHT_WAIT);

    public ClusterSettings {
        if (!KEY_PREFIX.matcher(keyPrefix).matches()) {
            throw new IllegalArgumentException("router.redis.key-prefix must be at most 64 printable ASCII characters"
                    + " without spaces, but was \"" + keyPrefix + "\"");
        }
        replicaId.ifPresent(id -> {
            if (!REPLICA_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("router.replica-id must be 1 to 64 letters, digits, '.', '_' or '-',"
                        + " but was \"" + id + "\"");
            }
        });
    }

    /** Whether Redis is configured (several replicas share state). */
    public boolean enabled() {
        return redisUri.isPresent();
    }

    /** Where Redis is, for logs: scheme, host and port, never the credentials or the database. */
    public String redisEndpoint() {
        return redisUri.map(s -> endpoint(s.reveal())).orElse("none");
    }

    /** {@code scheme://host:port} of a Redis URI, without user info, path or query. */
    static String endpoint(String uri) {
        try {
            URI u = URI.create(uri);
            return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
        } catch (IllegalArgumentException e) {
            return "(unparsable URI)";
        }
    }

    /**
     * Reads {@code router.redis.*} and {@code router.replica-id}; bad values are reported on the node's errors.
     *
     * @param router   the {@code router} node
     * @param redisUri the value of {@code redis.uri} ({@code REDIS_URI}), if set; blank counts as unset
     */
    public static ClusterSettings read(ConfigNode router, Optional<String> redisUri) {
        ConfigNode redis = router.child("redis");
        Optional<Secret> uri = redisUri.filter(s -> !s.isBlank()).map(String::strip).map(Secret::of);
        uri.ifPresent(s -> {
            String problem = uriProblem(s.reveal());
            if (problem != null) {
                // the value may hold a password: the problem names the key and shows no part of it
                router.errors().add("environment", REDIS_URI_PROPERTY + " (REDIS_URI)", "(not shown)", problem);
            }
        });
        String prefix = redis.string("key-prefix", DEFAULT_KEY_PREFIX);
        Optional<String> replica = router.optionalString("replica-id").filter(s -> !s.isBlank());
        Duration timeout = redis.duration("timeout", DEFAULT_TIMEOUT, Duration.ofMillis(1));
        Duration lease = redis.duration("lease-ttl", DEFAULT_LEASE_TTL, Duration.ofMillis(300));
        Duration flightWait = redis.duration("flight-wait", DEFAULT_FLIGHT_WAIT, Duration.ofMillis(1));
        try {
            return new ClusterSettings(uri, prefix, replica, timeout, lease, flightWait);
        } catch (IllegalArgumentException e) {
            boolean aboutReplica = e.getMessage().startsWith("router.replica-id");
            if (aboutReplica) {
                router.problem("replica-id", replica.orElse(""), "1 to 64 letters, digits, '.', '_' or '-'");
            } else {
                redis.problem("key-prefix", prefix, "at most 64 printable ASCII characters without spaces");
            }
            return SINGLE_NODE;
        }
    }

    /** What is wrong with a Redis URI, or null when it is usable. */
    static String uriProblem(String uri) {
        URI u;
        try {
            u = URI.create(uri);
        } catch (IllegalArgumentException e) {
            return "a URI such as redis://host:6379 or rediss://:password@host:6380/0";
        }
        if (!"redis".equals(u.getScheme()) && !"rediss".equals(u.getScheme())) {
            return "a redis:// or rediss:// URI (scheme " + u.getScheme() + " is not supported)";
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            return "a redis:// or rediss:// URI with a host, e.g. redis://127.0.0.1:6379";
        }
        return null;
    }
}
