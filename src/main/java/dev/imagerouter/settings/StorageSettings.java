package dev.imagerouter.settings;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Where images live and how their URLs are built ({@code router.storage.*}).
 *
 * @param dir           the content-addressed store's root ({@code router.storage.dir}, default
 *                      {@code data/images}); created at startup if missing
 * @param publicBaseUrl the absolute base of the image URLs ({@code router.storage.public-base-url}),
 *                      e.g. {@code https://images.example.com}, without a trailing slash (one is
 *                      removed); may be empty: then URLs are relative to the request's own base
 *                      ({@code <scheme>://<host>} of the call that asked for the image)
 * @param probeInterval how often the store's writability is probed ({@code router.storage.probe-interval},
 *                      default {@link #DEFAULT_PROBE_INTERVAL}); also the {@code Retry-After} of a
 *                      request refused while the probe fails
 * @param sweepInterval how often old records and abandoned temporary files are deleted
 *                      ({@code router.storage.sweep-interval}, default {@link #DEFAULT_SWEEP_INTERVAL})
 * @param maxConcurrentDownloadsPerClient how many image file responses ({@code GET /v1/images/files/…}) one client
 *                      may have in progress at once ({@code router.storage.max-concurrent-downloads-per-client},
 *                      default {@value #DEFAULT_MAX_CONCURRENT_DOWNLOADS_PER_CLIENT}, at least 1); the client is the
 *                      authenticated client name when there is one, else the remote address; over it: 429
 * @throws IllegalArgumentException naming the key when the base URL is neither empty nor an
 *                                  absolute {@code http(s)} URL without query or fragment, or an
 *                                  interval is not positive
 */
public record StorageSettings(Path dir, String publicBaseUrl, Duration probeInterval, Duration sweepInterval,
                              int maxConcurrentDownloadsPerClient) {

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

    public StorageSettings {
        Objects.requireNonNull(dir, "router.storage.dir must be set");
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
}
