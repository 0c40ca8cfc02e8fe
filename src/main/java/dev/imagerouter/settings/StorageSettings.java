package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where images live and how their URLs are built ({@code router.storage.*}).
 *
 * @param dir           the local store's root ({@code router.storage.dir}, default {@code data/images};
 *                      created at startup if missing): images and per-request-hash records unless
 *                      {@code s3} is set, and always the jobs ({@code <dir>/jobs}) and today's spend
 *                      ({@code <dir>/spend})
 * @param publicBaseUrl the absolute base of the image URLs ({@code router.storage.public-base-url}),
 *                      e.g. {@code https://images.example.com}, without a trailing slash (one is
 *                      removed); may be empty: then URLs are relative to the request's own base
 *                      ({@code <scheme>://<host>} of the call that asked for the image). Whatever the
 *                      backend, an image's URL is {@code <base>/v1/images/files/<sha256>.<ext>}: the
 *                      base is the router's public name, or a CDN in front of the router, of the bucket
 *                      or of a shared volume that serves that path (README, "Storage backends")
 * @param probeInterval how often the store's writability is probed ({@code router.storage.probe-interval},
 *                      default {@link #DEFAULT_PROBE_INTERVAL}); also the {@code Retry-After} of a
 *                      request refused while the probe fails
 * @param sweepInterval how often old records and abandoned temporary files are deleted
 *                      ({@code router.storage.sweep-interval}, default {@link #DEFAULT_SWEEP_INTERVAL})
 * @param maxConcurrentDownloadsPerClient how many image file responses ({@code GET /v1/images/files/…}) one client
 *                      may have in progress at once ({@code router.storage.max-concurrent-downloads-per-client},
 *                      default {@value #DEFAULT_MAX_CONCURRENT_DOWNLOADS_PER_CLIENT}, at least 1); the client is the
 *                      authenticated client name when there is one, else the remote address; over it: 429
 * @param s3            the S3-compatible bucket that holds the images and records instead of {@code dir}
 *                      ({@code router.storage.s3.*}); empty: the local directory
 * @throws IllegalArgumentException naming the key when the base URL is neither empty nor an
 *                                  absolute {@code http(s)} URL without query or fragment, or an
 *                                  interval is not positive
 */
public record StorageSettings(Path dir, String publicBaseUrl, Duration probeInterval, Duration sweepInterval,
                              int maxConcurrentDownloadsPerClient, Optional<S3> s3) {

    /** Default of {@code router.storage.max-concurrent-downloads-per-client}. */
    public static final int DEFAULT_MAX_CONCURRENT_DOWNLOADS_PER_CLIENT = 16;

    /** The path under which {@code FilesController} serves the store: {@code <base>/v1/images/files/<sha256>.<ext>}. */
    public static final String FILES_PATH = "/v1/images/files/";
    /** Default of {@code router.storage.probe-interval}. */
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(5);
    /** Default of {@code router.storage.sweep-interval}. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofHours(1);

    /** Settings with the default probe and sweep intervals. */
    public StorageSettings(Path dir, String publicBaseUrl) {
        this(dir, publicBaseUrl, DEFAULT_PROBE_INTERVAL, DEFAULT_SWEEP_INTERVAL);
    }

    /** Settings with the default per-client download bound. */
    public StorageSettings(Path dir, String publicBaseUrl, Duration probeInterval, Duration sweepInterval) {
        this(dir, publicBaseUrl, probeInterval, sweepInterval, DEFAULT_MAX_CONCURRENT_DOWNLOADS_PER_CLIENT);
    }

    /** Settings of a store in the local directory {@code dir}. */
    public StorageSettings(Path dir, String publicBaseUrl, Duration probeInterval, Duration sweepInterval,
                           int maxConcurrentDownloadsPerClient) {
        this(dir, publicBaseUrl, probeInterval, sweepInterval, maxConcurrentDownloadsPerClient, Optional.empty());
    }

    /** The same settings with images and records in the bucket {@code s3}. */
    public StorageSettings withS3(S3 s3) {
        return new StorageSettings(dir, publicBaseUrl, probeInterval, sweepInterval, maxConcurrentDownloadsPerClient,
                Optional.of(s3));
    }

    public StorageSettings {
        Objects.requireNonNull(dir, "router.storage.dir must be set");
        s3 = s3 == null ? Optional.empty() : s3;
        Objects.requireNonNull(probeInterval, "router.storage.probe-interval must be set");
        Objects.requireNonNull(sweepInterval, "router.storage.sweep-interval must be set");
        if (probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("router.storage.probe-interval must be positive, but was " + probeInterval);
        }
        if (sweepInterval.isNegative() || sweepInterval.isZero()) {
            throw new IllegalArgumentException("router.storage.sweep-interval must be positive, but was " + sweepInterval);
        }
        if (maxConcurrentDownloadsPerClient < 1) {
            throw new IllegalArgumentException("router.storage.max-concurrent-downloads-per-client must be at least 1, but was "
                    + maxConcurrentDownloadsPerClient);
        }
        publicBaseUrl = publicBaseUrl == null ? "" : publicBaseUrl.strip();
        while (publicBaseUrl.endsWith("/")) {
            publicBaseUrl = publicBaseUrl.substring(0, publicBaseUrl.length() - 1);
        }
        if (!publicBaseUrl.isEmpty()) {
            URI uri;
            try {
                uri = URI.create(publicBaseUrl);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("router.storage.public-base-url must be an absolute http(s) URL, but was "
                        + publicBaseUrl, e);
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("router.storage.public-base-url must be an absolute http(s) URL"
                        + " without query or fragment, but was " + publicBaseUrl);
            }
        }
    }

    /**
     * The URL of one stored file.
     *
     * @param fileName    {@code <sha256>.<ext>}, see {@link ImageStore.StoredImage#fileName()}
     * @param requestBase the base of the current request ({@code <scheme>://<host>[:port]}, no trailing
     *                    slash), used only when {@link #publicBaseUrl} is empty
     * @return e.g. {@code https://images.example.com/v1/images/files/ab12….png}
     */
    public String fileUrl(String fileName, String requestBase) {
        String base = publicBaseUrl.isEmpty() ? stripTrailingSlash(Objects.requireNonNull(requestBase, "requestBase")) : publicBaseUrl;
        return base + FILES_PATH + fileName;
    }

    private static String stripTrailingSlash(String base) {
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    /*
     * Why no credentials here: they come from the AWS SDK's default provider chain only (AWS_ACCESS_KEY_ID
     * and AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE with ~/.aws/credentials, web identity,
     * container and instance roles), so they are never in a configuration file, /admin/config or a log.
     * A credential-like key under router.storage.s3 is a configuration error (its value is not echoed).
     */
    /**
     * An S3-compatible bucket for the images and per-request-hash records ({@code router.storage.s3.*}),
     * used when {@code bucket} is set (env {@code ROUTER_STORAGE_S3_BUCKET}). Object keys:
     * {@code <prefix>images/<sha256>.<ext>} and {@code <prefix>records/<requestHash>.json}.
     *
     * @param endpoint       the S3 API's base URL ({@code router.storage.s3.endpoint}), e.g.
     *                       {@code http://127.0.0.1:9000} for S3Proxy or MinIO; empty: AWS's own endpoint
     *                       for {@code region}. An absolute {@code http(s)} URL without user info, path,
     *                       query or fragment
     * @param bucket         the bucket's name ({@code router.storage.s3.bucket}): 3–63 characters of
     *                       letters, digits, dots, hyphens and underscores (S3's rules, plus what older
     *                       buckets and other S3-compatible servers accept); the bucket must exist
     * @param region         the region requests are signed for ({@code router.storage.s3.region}, default
     *                       {@code AWS_REGION}), e.g. {@code eu-west-1}; required (S3-compatible servers
     *                       accept any, usually {@code us-east-1})
     * @param pathStyle      {@code router.storage.s3.path-style}: {@code <endpoint>/<bucket>/<key>}
     *                       instead of {@code <bucket>.<endpoint>/<key>}; true for S3Proxy and MinIO
     * @param prefix         {@code router.storage.s3.prefix}: prepended to every key, e.g.
     *                       {@code image-router/} (a missing final {@code /} is added); empty: none
     * @param maxConnections {@code router.storage.s3.max-connections} (default {@value #DEFAULT_MAX_CONNECTIONS}):
     *                       the HTTP connections to S3 at most; each image response being streamed to a
     *                       client holds one, as does each write
     * @throws IllegalArgumentException naming the key and the value (an endpoint's user info is never shown)
     */
    public record S3(String endpoint, String bucket, String region, boolean pathStyle, String prefix, int maxConnections) {

        /** Default of {@code router.storage.s3.max-connections}. */
        public static final int DEFAULT_MAX_CONNECTIONS = 64;
        /** The keys of {@code router.storage.s3}; any other key there is a configuration error. */
        public static final List<String> KEYS = List.of("endpoint", "bucket", "region", "path-style", "prefix",
                "max-connections");
        private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]");
        private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
        private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9!_.*'()/-]*");

        public S3 {
            endpoint = endpoint == null ? "" : endpoint.strip();
            while (endpoint.endsWith("/")) {
                endpoint = endpoint.substring(0, endpoint.length() - 1);
            }
            bucket = bucket == null ? "" : bucket.strip();
            region = region == null ? "" : region.strip();
            prefix = prefix == null ? "" : prefix.strip();
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
            if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
                throw new IllegalArgumentException("router.storage.s3.bucket must be a bucket name of 3 to 63 letters, digits,"
                        + " dots, hyphens or underscores, starting and ending with a letter or digit, but was '" + bucket + "'");
            }
            if (region.isEmpty()) {
                throw new IllegalArgumentException("router.storage.s3.region must be set when router.storage.s3.bucket is"
                        + " (bucket '" + bucket + "'): the region the bucket is in, e.g. eu-west-1 (env ROUTER_STORAGE_S3_REGION"
                        + " or AWS_REGION); S3-compatible servers such as S3Proxy or MinIO accept us-east-1");
            }
            if (!REGION.matcher(region).matches()) {
                throw new IllegalArgumentException("router.storage.s3.region must be a region name such as eu-west-1, but was '"
                        + region + "'");
            }
            if (!endpoint.isEmpty()) {
                checkEndpoint(endpoint);
            }
            if (prefix.startsWith("/") || prefix.contains("//") || !PREFIX.matcher(prefix).matches()
                    || List.of(prefix.split("/")).contains("..") || List.of(prefix.split("/")).contains(".")) {
                throw new IllegalArgumentException("router.storage.s3.prefix must be empty or a key prefix such as"
                        + " image-router/ (letters, digits and !_.*'()-, segments separated by single /, not starting with /),"
                        + " but was '" + prefix + "'");
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("router.storage.s3.max-connections must be at least 1, but was " + maxConnections);
            }
        }

        private static void checkEndpoint(String endpoint) {
            URI uri;
            try {
                uri = URI.create(endpoint);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("router.storage.s3.endpoint must be an absolute http(s) URL such as"
                        + " http://127.0.0.1:9000, but was '" + withoutUserInfo(endpoint) + "'");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("router.storage.s3.endpoint must not carry user info (credentials come from"
                        + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), but was '" + withoutUserInfo(endpoint) + "'");
            }
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("router.storage.s3.endpoint must be an absolute http(s) URL of a host and"
                        + " optional port, without path, query or fragment (e.g. http://127.0.0.1:9000), but was '"
                        + withoutUserInfo(endpoint) + "'");
            }
        }

        /** The endpoint with any {@code user:password@} replaced by {@code ***@}, for messages. */
        private static String withoutUserInfo(String endpoint) {
            return endpoint.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", "$1***@");
        }

        /**
         * Reads {@code router.storage.s3.*}; problems (a bad value, a key other than {@link #KEYS}, an
         * endpoint or prefix without a bucket) are reported on the node's errors, never with a secret's value.
         *
         * @return the bucket's settings, or empty when no bucket is set (the local store)
         */
        public static Optional<S3> read(ConfigNode s3) {
            for (String key : s3.keys()) {
                if (!KEYS.contains(key)) {
                    s3.problem(key, "(not shown)", "one of " + KEYS + "; credentials are never read from configuration:"
                            + " set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, a role) in the environment");
                }
            }
            String bucket = s3.string("bucket", "");
            String endpoint = s3.string("endpoint", "");
            String prefix = s3.string("prefix", "");
            String region = s3.string("region", "");
            boolean pathStyle = s3.bool("path-style", false);
            int maxConnections = s3.integer("max-connections", DEFAULT_MAX_CONNECTIONS, 1, 10_000);
            if (bucket.isEmpty()) {
                if (!endpoint.isEmpty()) {
                    s3.problem("endpoint", withoutUserInfo(endpoint), "empty unless router.storage.s3.bucket is set"
                            + " (ROUTER_STORAGE_S3_BUCKET): without a bucket the images stay in router.storage.dir");
                }
                if (!prefix.isEmpty()) {
                    s3.problem("prefix", prefix, "empty unless router.storage.s3.bucket is set (ROUTER_STORAGE_S3_BUCKET)");
                }
                return Optional.empty();
            }
            try {
                return Optional.of(new S3(endpoint, bucket, region, pathStyle, prefix, maxConnections));
            } catch (IllegalArgumentException e) {
                s3.errors().addMessage(s3.file() + ": " + e.getMessage());
                return Optional.empty();
            }
        }

        /** {@code s3://<bucket>/<prefix>} plus the endpoint when it is not AWS's: for logs and messages. */
        public String describe() {
            return "s3://" + bucket + "/" + prefix + (endpoint.isEmpty() ? " (AWS, " + region + ")" : " at " + endpoint
                    + (pathStyle ? " (path-style)" : ""));
        }
    }
}
