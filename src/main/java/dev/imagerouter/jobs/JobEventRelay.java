package dev.imagerouter.jobs;

import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.cluster.SharedOperation;
import dev.imagerouter.vocabulary.LogText;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.json.JsonMapper;
import io.micronaut.serde.annotation.Serdeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/*
 * Progress events of jobs across replicas (REDIS_URI set), for GET /v1/images/jobs/{id}/events on a
 * replica that does not run the job. The owner publishes every event of its Redis jobs on one channel
 * (jobs:events: one subscription per replica, not one per job); a terminal event carries the job's
 * record, so the watcher needs no read. Pub/sub is fire-and-forget: a message published while a
 * watcher's replica was reconnecting is lost, so a watch (watchJob, for JobService) also polls the
 * job's record and ends with the terminal event itself (the stream's guarantee: the snapshot, then the
 * terminal event; the events between as they arrive). A cancel published on jobs:cancelled (by the
 * cancel script, whoever cancelled) ends the watches of that job too. Publishing is skipped while
 * Redis is down (no fallback is counted: an event is not state).
 */
/** Relays job progress events between replicas through Redis pub/sub. Thread-safe. */
public final class JobEventRelay {

    private static final Logger LOG = LoggerFactory.getLogger(JobEventRelay.class);

    /** One event on the wire: the job's id, the event's name and data, and the job's record when terminal. */
    @Serdeable
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.ALWAYS)
    public record Relayed(String id, String name, Map<String, Object> data, @Nullable JobRecord job) {
    }

    /** How often a watch of a job another replica runs reads the job's record (its terminal event is never missed). */
    static final long REMOTE_POLL_MILLIS = 1_000;

    private final Cluster cluster;
    private final JsonMapper json;
    private final RedisJobStore store;
    private final ScheduledExecutorService scheduler;
    private final String channel;
    private final Map<String, List<Consumer<Relayed>>> watchers = new ConcurrentHashMap<>();
    private final Map<Consumer<JobEvent>, Watch> watches = new ConcurrentHashMap<>();

    /**
     * @param store       the Redis job store: its channels, and the records a watch polls
     * @param scheduler   runs the polls
     * @param onCancelled hears the id of every job cancelled on any replica (the owner adopts the cancel)
     */
    public JobEventRelay(Cluster cluster, JsonMapper json, RedisJobStore store, ScheduledExecutorService scheduler,
                         Consumer<String> onCancelled) {
        this.cluster = cluster;
        this.json = json;
        this.store = store;
        this.scheduler = scheduler;
        this.channel = store.eventsChannel();
        cluster.subscribe(channel, this::received);
        cluster.subscribe(store.cancelledChannel(), id -> {
            onCancelled.accept(id);
            List<Consumer<Relayed>> those = watchers.get(id);
            if (those != null) {
                Relayed cancelled = new Relayed(id, "cancelled", Map.of(), null);
                those.forEach(w -> w.accept(cancelled));
            }
        });
    }

    /** Publishes one event of a Redis job (best effort, nothing while Redis is down). */
    public void publish(JobRecord job, String name, Map<String, Object> data, boolean terminal) {
        if (!cluster.up()) {
            return;
        }
        String message;
        try {
            message = json.writeValueAsString(new Relayed(job.id(), name, data, terminal ? job : null));
        } catch (IOException | RuntimeException e) {
            LOG.debug("job event not relayed: {}", LogText.escape(e));
            return;
        }
        cluster.publish(SharedOperation.JOBS, channel, message);
    }

    /**
     * Hears the events of job {@code id} published from now on (on the scheduler), until {@link #unwatch}.
     * A cancel reaches it as an event {@code cancelled} without a record.
     */
    void watch(String id, Consumer<Relayed> watcher) {
        watchers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(watcher);
    }

    /** Stops {@code watcher} hearing job {@code id}. */
    void unwatch(String id, Consumer<Relayed> watcher) {
        watchers.computeIfPresent(id, (k, list) -> {
            list.remove(watcher);
            return list.isEmpty() ? null : list;
        });
    }

    /**
     * Streams the events of a Redis job that another replica runs to {@code listener}: {@code now} hears
     * the job as Redis has it, then {@code listener} the relayed events and, last, the terminal one.
     *
     * @param first the job as last read (used when a second read, once the watch is registered, finds nothing)
     * @return the job as {@code now} heard it
     */
    JobRecord watchJob(JobRecord first, Consumer<JobEvent> listener, Consumer<JobRecord> now) {
        String id = first.id();
        Watch watch = new Watch(id, listener);
        watches.put(listener, watch);
        watch(id, watch);
        // read again once registered: nothing published from here on is missed
        JobRecord snapshot;
        try {
            snapshot = store.load(id).orElse(first);
        } catch (RuntimeException redisDown) {
            snapshot = first;
        }
        watch.start(snapshot, now);
        return snapshot;
    }

    /** Ends the watch {@code listener} was given, if any. */
    void stopWatching(Consumer<JobEvent> listener) {
        Watch watch = watches.remove(listener);
        if (watch != null) {
            watch.stop();
        }
    }

    /**
     * A watch of one job: relayed events are held until the snapshot went out, then passed on; the
     * terminal event (relayed, or found by polling the record) ends it.
     */
    private final class Watch implements Consumer<Relayed> {
        private final String id;
        private final Consumer<JobEvent> listener;
        private final List<Relayed> early = new ArrayList<>();
        private JobRecord snapshot;
        private boolean started;
        private boolean ended;
        private ScheduledFuture<?> poll;

        Watch(String id, Consumer<JobEvent> listener) {
            this.id = id;
            this.listener = listener;
        }

        synchronized void start(JobRecord record, Consumer<JobRecord> now) {
            snapshot = record;
            now.accept(record);
            started = true;
            if (record.status().terminal()) {
                stop();
                return;
            }
            early.forEach(this::deliver);
            early.clear();
            if (!ended) {
                poll = scheduler.scheduleWithFixedDelay(this::poll, REMOTE_POLL_MILLIS, REMOTE_POLL_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        private void poll() {
            store.loadAsync(id).thenAccept(r -> r.filter(j -> j.status().terminal()).ifPresent(this::terminal));
        }

        @Override
        public synchronized void accept(Relayed event) {
            if (!started) {
                early.add(event);
            } else {
                deliver(event);
            }
        }

        private void deliver(Relayed event) {
            if (ended) {
                return;
            }
            if (!TERMINAL.contains(event.name())) {
                listener.accept(new JobEvent(event.name(), event.data(), snapshot));
            } else if (event.job() != null) {
                terminal(event.job());
            } else {
                poll(); // a cancel's notice: the record tells the rest
            }
        }

        synchronized void terminal(JobRecord record) {
            if (ended || !started) {
                return;
            }
            listener.accept(new JobEvent(record.status().wire(), Map.of(), record));
            stop();
        }

        synchronized void stop() {
            ended = true;
            if (poll != null) {
                poll.cancel(false);
            }
            unwatch(id, this);
            watches.remove(listener, this);
        }
    }

    private static final java.util.Set<String> TERMINAL = java.util.Set.of("succeeded", "failed", "cancelled");

    private void received(String message) {
        if (watchers.isEmpty()) {
            return;
        }
        Relayed event;
        try {
            event = json.readValue(message, Relayed.class);
        } catch (IOException | RuntimeException e) {
            LOG.debug("a relayed job event cannot be read: {}", LogText.escape(e));
            return;
        }
        List<Consumer<Relayed>> those = watchers.get(event.id());
        if (those != null) {
            those.forEach(w -> w.accept(event));
        }
    }
}
