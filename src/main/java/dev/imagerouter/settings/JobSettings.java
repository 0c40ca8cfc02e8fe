package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Asynchronous job settings ({@code router.jobs.*}).
 *
 * @param retention    how long a finished job (and a batch) keeps its record, result and deliveries
 *                     after its last change (default 7 days); then {@code GET} answers 404
 * @param maxQueued    the most unfinished jobs (queued or running) at once; a job or batch beyond it
 *                     is refused with 429 (default 10,000: a full batch of 1,000 fits many times)
 * @param maxWait      how long an asynchronous job waits, per provider of the chain, for that
 *                     provider's rate-limit permit and concurrency slot before the policy's fallback
 *                     applies (default 10 min)
 * @param maxBatch     the most requests in one batch (1,000)
 * @param callbackUrls a client's default callback URL by client name, used when its request has no
 *                     {@code X-Router-Callback-Url}: {@code router.jobs.callback-urls}, a list of
 *                     {@code client=url} entries (env {@code ROUTER_JOBS_CALLBACK_URLS}, comma-separated)
 * @param dir          where this replica's job store lives ({@code router.jobs.dir}); empty: {@code
 *                     <router.storage.dir>/jobs}. With {@code REDIS_URI} set it holds only the jobs created
 *                     while Redis was down, so replicas sharing one storage directory give each its own
 *                     (e.g. {@code ROUTER_JOBS_DIR=/data/jobs/$(POD_NAME)}). Read at startup
 * @param leaseTtl     with {@code REDIS_URI} set: how long a replica's ownership of its jobs outlives its
 *                     last renewal ({@code router.jobs.lease-ttl}, default 20 s); then another replica takes
 *                     its unfinished jobs over. Read at startup
 * @param leaseRenew   how often a replica renews that lease and looks for the jobs of replicas whose lease
 *                     expired ({@code router.jobs.lease-renew}, default 5 s, less than half the TTL). Read at startup
 */
public record JobSettings(Duration retention, int maxQueued, Duration maxWait, int maxBatch, Map<String, String> callbackUrls,
                          String dir, Duration leaseTtl, Duration leaseRenew) {

    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(20);
    public static final Duration DEFAULT_LEASE_RENEW = Duration.ofSeconds(5);

    /** The most requests one batch may carry (the bound; also what one POST body is sized for). */
    public static final int MAX_BATCH = 1_000;

    public JobSettings {
        callbackUrls = Map.copyOf(callbackUrls);
    }

    /** Reads {@code router.jobs.*}; bad values are reported on the node's errors. */
    public static JobSettings read(ConfigNode jobs) {
        Map<String, String> urls = new LinkedHashMap<>();
        for (String entry : jobs.stringList("callback-urls", java.util.List.of())) {
            int eq = entry.indexOf('=');
            String client = eq < 0 ? "" : entry.substring(0, eq).trim();
            String url = eq < 0 ? "" : entry.substring(eq + 1).trim();
            if (client.isEmpty() || url.isEmpty() || urls.containsKey(client)) {
                jobs.problem("callback-urls", entry, "client=https://host/path entries, each client at most once");
            } else {
                urls.put(client, url);
            }
        }
        Duration ttl = jobs.duration("lease-ttl", DEFAULT_LEASE_TTL, Duration.ofSeconds(1));
        Duration renew = jobs.duration("lease-renew", DEFAULT_LEASE_RENEW, Duration.ofMillis(100));
        if (renew.multipliedBy(2).compareTo(ttl) > 0) {
            jobs.problem("lease-renew", renew, "at most half of router.jobs.lease-ttl (" + ttl + "), so that one missed"
                    + " renewal does not let another replica take this one's jobs over");
            renew = ttl.dividedBy(4);
        }
        return new JobSettings(jobs.duration("retention", Duration.ofDays(7), Duration.ofSeconds(1)),
                jobs.integer("max-queued", 10_000, 1, 10_000_000),
                jobs.duration("max-wait", Duration.ofMinutes(10), Duration.ZERO),
                jobs.integer("max-batch", MAX_BATCH, 1, MAX_BATCH), urls, jobs.string("dir", "").strip(), ttl, renew);
    }
}
