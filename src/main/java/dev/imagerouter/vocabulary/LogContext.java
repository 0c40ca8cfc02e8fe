package dev.imagerouter.vocabulary;

import org.slf4j.MDC;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/*
 * How a request's log lines carry its fields
 * -----------------------------------------
 * The fields live in the SLF4J MDC, which is per thread. A generation does not stay on one thread: it
 * starts on the server's event loop, continues on the HTTP clients' event loops, the router scheduler,
 * the image-work and storage-io pools, and an asynchronous job runs later (after a restart even) on
 * whatever thread its store write completed on. So:
 *   - on the HTTP side the server's own mechanism carries the MDC (api.RequestLog puts request_id and
 *     client into Micronaut's propagated context, MdcPropagationContext): filters, the controller and
 *     the exception handlers run with it;
 *   - where the walk leaves for our own executors and CompletableFuture chains, the code captures the
 *     context where the request starts (capture()) and reopens it around the code that logs
 *     (open(...)): the router's attempt and turn callbacks, the storing of results and late results,
 *     a job's run, end and callback. Nothing relies on an executor happening to propagate it.
 * open() always restores what the thread had before, so a pooled thread never keeps another
 * request's fields.
 */
/**
 * The log context (SLF4J MDC) of a request: its field names and a capture / reopen pair for
 * carrying it across threads (see the block comment). Values are logged as they are, so they must not
 * hold a key, a secret or a prompt. Thread-safe, no state of its own.
 */
public final class LogContext {

    /** The request's id, as in its {@code X-Request-Id} answer header. */
    public static final String REQUEST_ID = "request_id";
    /** The client's name ({@code anonymous} in open sandbox mode); never its key. */
    public static final String CLIENT = "client";
    /** The provider instance a line is about. */
    public static final String PROVIDER = "provider";
    /** The failure kind of a provider's failed attempt. */
    public static final String FAILURE_KIND = "failure_kind";
    /** The request hash (the cache key). */
    public static final String REQUEST_HASH = "request_hash";
    /** An asynchronous job's id. */
    public static final String JOB_ID = "job_id";

    private LogContext() {
    }

    /** Reopened by {@link #open}; closing it restores the thread's context as it was before. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** This thread's context now, as an immutable copy (empty when there is none). */
    public static Map<String, String> capture() {
        Map<String, String> now = MDC.getCopyOfContextMap();
        return now == null || now.isEmpty() ? Map.of() : Collections.unmodifiableMap(now);
    }

    /**
     * Makes {@code context} plus the given pairs this thread's context until the scope is closed.
     *
     * @param keysAndValues key, value, key, value, ...; a pair whose value is null is left out
     */
    public static Scope open(Map<String, String> context, String... keysAndValues) {
        Map<String, String> before = MDC.getCopyOfContextMap();
        MDC.setContextMap(with(context, keysAndValues));
        return () -> {
            if (before == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(before);
            }
        };
    }

    /** {@code context} plus the given pairs (a null value leaves its key out). */
    public static Map<String, String> with(Map<String, String> context, String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values come in pairs");
        }
        Map<String, String> all = new HashMap<>(context);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                all.put(keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return all;
    }

    /** {@code task}, run with {@code context} as this thread's context. */
    public static Runnable wrap(Map<String, String> context, Runnable task) {
        return () -> {
            try (Scope ignored = open(context)) {
                task.run();
            }
        };
    }
}
