package dev.imagerouter.jobs;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.settings.JobSettings;
import dev.imagerouter.vocabulary.LogText;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * Ownership of Redis jobs (REDIS_URI set). Every router.jobs.lease-renew (5 s), and once at startup as
 * soon as Redis answers, this replica:
 *   1. renews its lease (TTL router.jobs.lease-ttl, 20 s). A lease that no longer existed means this
 *      replica was cut off for longer than the TTL (other replicas may have taken its jobs over); a new
 *      data epoch means Redis restarted without its data: either way every Redis job this replica runs
 *      is written again, and those that another replica owns now stop here (JobService.writeBackShared);
 *   2. writes the job versions that waited while Redis was down (RedisJobStore.flush);
 *   3. the first time: recovers the jobs its replica id owned before this process started (a replica
 *      restarted with the same router.replica-id; with a random id the others take them over instead);
 *   4. runs again the jobs whose provider call waited for Redis (JobService parks them off the
 *      provider's queue when Redis stays down for a renewal period);
 *   5. takes over the jobs of every replica whose lease expired (RedisJobStore.claimOrphans: one
 *      atomic claim per dead replica, so exactly one replica gets each job) and runs them as startup
 *      recovery would (JobService.adopt), oldest first. Not within lease-ttl of a Redis outage this
 *      replica saw (Redis down or failing, its own lease lapsed, Redis' data lost): an outage longer
 *      than the TTL expires every replica's lease at once, and the live ones renew theirs within
 *      lease-renew of Redis' return; claiming before then would take (and pay again for) jobs that
 *      live replicas are still running.
 * A replica killed with kill -9 therefore has its jobs running elsewhere within lease-ttl + lease-renew
 * (25 s by default). A graceful shutdown gives its lease up at the end, so the others take over at
 * their next look instead of after the TTL (while it drains it renews its lease but takes nothing over).
 * The renewal is one asynchronous call from the scheduler; the rest of a round runs on a storage-io
 * worker (its Redis calls wait at most router.redis.timeout each); never two rounds at once.
 */
/** Renews this replica's lease on its Redis jobs and takes over the jobs of replicas whose lease expired. */
@Singleton
public class JobTakeover {

    private static final Logger LOG = LoggerFactory.getLogger(JobTakeover.class);

    private final JobService jobs;
    private final Cluster cluster;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService storageIo;
    private final JobSettings settings;
    private final dev.imagerouter.routing.Draining draining;
    private final AtomicBoolean ticking = new AtomicBoolean();
    private volatile boolean recoveredOwn;
    private volatile boolean renewedOnce;
    /** The data's epoch seen at the last renewal (null before the first). */
    private volatile String epoch;
    private volatile ScheduledFuture<?> schedule;
    /** System.nanoTime() before which no orphans are claimed (lease-ttl after the last outage seen). */
    private volatile long claimNotBefore = System.nanoTime();

    public JobTakeover(JobService jobs, Cluster cluster, RunningRouter runtime,
                       @Named("router-scheduler") ScheduledExecutorService scheduler,
                       @Named("storage-io") ExecutorService storageIo, dev.imagerouter.routing.Draining draining) {
        this.draining = draining;
        this.jobs = jobs;
        this.cluster = cluster;
        this.scheduler = scheduler;
        this.storageIo = storageIo;
        this.settings = runtime.config().jobs(); // lease timings are read at startup
    }

    /** Starts the ticks once the server serves (after the file store's own recovery was handed off). */
    @io.micronaut.runtime.event.annotation.EventListener
    void onStartup(io.micronaut.runtime.server.event.ServerStartupEvent event) {
        if (jobs.shared().isEmpty()) {
            return;
        }
        long every = settings.leaseRenew().toMillis();
        LOG.info("jobs: shared through Redis as replica {}; lease {} ms, renewed and orphaned jobs looked for every {} ms",
                cluster.replicaId(), settings.leaseTtl().toMillis(), every);
        schedule = scheduler.scheduleWithFixedDelay(this::round, 0, every, TimeUnit.MILLISECONDS);
    }

    /**
     * One round, never two at once: the lease is renewed from the scheduler (one asynchronous call, so a
     * busy storage-io pool cannot delay it past the TTL), the rest runs on a storage-io worker.
     */
    private void round() {
        RedisJobStore store = jobs.shared().orElseThrow();
        if (!cluster.up()) {
            holdClaims();
            return;
        }
        if (jobs.frozen() || !ticking.compareAndSet(false, true)) {
            return;
        }
        store.renewLease().whenComplete((renewal, error) -> {
            if (error != null) {
                holdClaims();
                ticking.set(false); // Redis went away (counted as a fallback): the next round tries again
                return;
            }
            try {
                storageIo.execute(() -> {
                    try {
                        afterRenewal(store, renewal);
                    } finally {
                        ticking.set(false);
                    }
                });
            } catch (RuntimeException rejected) {
                ticking.set(false);
            }
        });
    }

    /** Write back when needed, flush, recover this replica id's own jobs once, unpark, take over the orphans. Blocking. */
    void afterRenewal(RedisJobStore store, RedisJobStore.Renewal renewal) {
        try {
            boolean lostData = epoch != null && !epoch.equals(renewal.epoch());
            boolean lapsed = renewedOnce && !renewal.existed();
            epoch = renewal.epoch();
            renewedOnce = true;
            if (lostData || lapsed) {
                holdClaims();
                int n = jobs.writeBackShared();
                LOG.warn("jobs: {}; this replica's {} Redis job(s) are written again{}", lostData
                        ? "Redis lost its data (restarted without persistence)"
                        : "this replica's lease had expired (cut off from Redis for longer than router.jobs.lease-ttl)", n,
                        lapsed && !lostData ? ", and those another replica took over meanwhile stop here" : "");
            }
            store.flush();
            if (!recoveredOwn) {
                recoveredOwn = true;
                jobs.adopt(store.loadActive(), store, "recovered at startup (replica " + cluster.replicaId() + ")");
            }
            if (draining.active()) {
                return; // shutting down: this replica starts nothing new, others take over
            }
            jobs.unparkShared();
            if (System.nanoTime() - claimNotBefore < 0) {
                return; // after an outage: the live replicas' leases are not all back yet
            }
            for (RedisJobStore.Claimed claimed : store.claimOrphans()) {
                jobs.adopt(claimed.jobs(), store, "taken over from replica " + LogText.escape(claimed.from())
                        + " (its lease expired)");
            }
        } catch (RuntimeException e) {
            holdClaims();
            // Redis went away mid-round (counted as a fallback): the next round tries again
            LOG.debug("jobs: lease round not finished: {}", LogText.escape(e));
        }
    }

    /** No orphans are claimed for lease-ttl from now (an outage was seen: see the class comment). */
    void holdClaims() {
        claimNotBefore = System.nanoTime() + settings.leaseTtl().toNanos();
    }

    /**
     * Stops the rounds and gives the lease up, so the other replicas take over what is left here at
     * their next look (after a shutdown's grace, the job store is frozen by then).
     */
    @PreDestroy
    void close() {
        ScheduledFuture<?> s = schedule;
        if (s == null) {
            return;
        }
        s.cancel(false);
        if (cluster.up()) {
            try {
                jobs.shared().orElseThrow().releaseLease().get(1, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("jobs: lease not given up: {}", LogText.escape(e));
            }
        }
    }
}
