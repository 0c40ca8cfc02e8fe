package dev.imagerouter.provider;

import io.micronaut.json.JsonMapper;

import java.util.concurrent.ScheduledExecutorService;

/**
 * Shared services a provider adapter is built with.
 *
 * @param scheduler  schedules delays (polls, retries) without holding a thread while waiting
 * @param json       JSON mapper for wire bodies
 * @param downloader fetches provider image URLs (allow-list, size cap, timeout)
 * @param sandbox    true when the adapter talks to the in-process emulators; only then are the
 *                   {@code X-Sandbox-*} headers sent
 * @param responses  where an adapter may complete its results when its HTTP client needs a
 *                   callback pool: the storage-io workers, which may block, so the image store
 *                   runs on the same thread (see {@code StorageThreads})
 * @param trace      the trace headers an adapter sends with a generation's calls ({@link TraceHeaders})
 */
public record ProviderContext(ScheduledExecutorService scheduler, JsonMapper json, ImageDownloader downloader,
                              boolean sandbox, java.util.concurrent.Executor responses, TraceHeaders trace) {

    /** A context whose adapters send no trace headers. */
    public ProviderContext(ScheduledExecutorService scheduler, JsonMapper json, ImageDownloader downloader,
                           boolean sandbox, java.util.concurrent.Executor responses) {
        this(scheduler, json, downloader, sandbox, responses, TraceHeaders.NONE);
    }

    /** Header that carries the client's fault list to the emulators (sandbox only). */
    public static final String SANDBOX_FAULT_HEADER = "X-Sandbox-Fault";
    /** Header that names the calling provider instance to the emulators (sandbox only). */
    public static final String SANDBOX_PROVIDER_HEADER = "X-Sandbox-Provider";
}
