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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/*
 * Progress events of jobs across replicas (REDIS_URI set), for GET /v1/images/jobs/{id}/events on a
 * replica that does not run the job. The owner publishes every event of its Redis jobs on one channel
 * (jobs:events: one subscription per replica, not one per job); a terminal event carries the job's
 * record, so the watcher needs no read. Pub/sub is fire-and-forget: a message published while a
 * watcher's replica was reconnecting is lost, so JobService also polls the record of every remote
 * watch and ends it with the terminal event itself (the stream's guarantee: the snapshot, then the
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

    private final Cluster cluster;
    private final JsonMapper json;
    private final String channel;
    private final Map<String, List<Consumer<Relayed>>> watchers = new ConcurrentHashMap<>();

    /**
     * @param onCancelled hears the id of every job cancelled on any replica (the owner adopts the cancel)
     */
    public JobEventRelay(Cluster cluster, JsonMapper json, String eventsChannel, String cancelledChannel,
                         Consumer<String> onCancelled) {
        this.cluster = cluster;
        this.json = json;
        this.channel = eventsChannel;
        cluster.subscribe(eventsChannel, this::received);
        cluster.subscribe(cancelledChannel, id -> {
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
    public void watch(String id, Consumer<Relayed> watcher) {
        watchers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(watcher);
    }

    /** Stops {@code watcher} hearing job {@code id}. */
    public void unwatch(String id, Consumer<Relayed> watcher) {
        watchers.computeIfPresent(id, (k, list) -> {
            list.remove(watcher);
            return list.isEmpty() ? null : list;
        });
    }

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
