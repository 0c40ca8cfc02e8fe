package dev.imagerouter.jobs;

import dev.imagerouter.callbacks.Callback;
import dev.imagerouter.callbacks.CallbackSender;
import dev.imagerouter.callbacks.Delivery;
import dev.imagerouter.vocabulary.LogContext;
import dev.imagerouter.vocabulary.LogText;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * Delivers a finished job's callback: the job object ({@link JobDocuments#document}) POSTed to the
 * job's callback URL by {@link CallbackSender} (signed as Standard Webhooks does, retried with
 * backoff for up to {@code router.callbacks.max-age}), each delivery recorded on the job. The
 * {@code webhook-id} is {@code msg_<job id>}, the same on every retry and after a restart, so a
 * receiver can drop duplicates. After a restart delivery resumes where it stood (the count of
 * earlier deliveries sets the backoff; the first delivery's time bounds the retries).
 */
@Singleton
public class JobCallbacks {

    private static final Logger LOG = LoggerFactory.getLogger(JobCallbacks.class);

    private final CallbackSender sender;
    private final JobDocuments documents;
    private final ExecutorService storageIo;

    public JobCallbacks(CallbackSender sender, JobDocuments documents, @Named("storage-io") ExecutorService storageIo) {
        this.sender = sender;
        this.documents = documents;
        this.storageIo = storageIo;
    }

    /**
     * Starts (or resumes) delivering {@code job}'s callback; never blocks the caller. Runs, and hands
     * the sender, the job's log context.
     */
    void deliver(JobService.Job job, Runnable onSettled) {
        storageIo.execute(LogContext.wrap(JobService.logContext(job.record()), () -> {
            JobRecord record = job.record();
            JobRecord.Callback callback = record.callback();
            if (callback == null || callback.settled()) {
                onSettled.run();
                return;
            }
            byte[] body;
            try {
                body = documents.document(record);
            } catch (RuntimeException e) {
                LOG.warn("job {}: its callback body cannot be rendered ({}); the callback is given up", record.id(),
                        LogText.escape(e));
                job.update(r -> r.callback(new JobRecord.Callback(callback.url(), JobRecord.Callback.FAILED,
                        callback.deliveries()), Instant.now()));
                onSettled.run();
                return;
            }
            List<JobRecord.Delivery> earlier = callback.deliveries();
            Instant first = earlier.isEmpty() ? Instant.now() : earlier.get(0).at();
            sender.send(new Callback("msg_" + record.id(), URI.create(callback.url()), body, first, earlier.size()),
                    delivery -> {
                        JobRecord.Delivery recorded = new JobRecord.Delivery(delivery.attempt(), delivery.at(),
                                delivery.httpStatus().orElse(null), delivery.error().orElse(null), delivery.outcome().wire());
                        String state = switch (delivery.outcome()) {
                            case DELIVERED -> JobRecord.Callback.DELIVERED;
                            case GAVE_UP -> JobRecord.Callback.FAILED;
                            case RETRYING -> JobRecord.Callback.PENDING;
                        };
                        JobRecord updated = job.update(r -> {
                            List<JobRecord.Delivery> all = new ArrayList<>(r.callback().deliveries());
                            all.add(recorded);
                            return r.callback(new JobRecord.Callback(r.callback().url(), state, all), delivery.at());
                        });
                        if (delivery.outcome() != Delivery.Outcome.RETRYING) {
                            onSettled.run();
                        }
                    });
        }));
    }
}
