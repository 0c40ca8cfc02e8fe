package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.ImageRequest;

import java.time.Instant;
import java.util.Optional;

/**
 * Hears every generation request that was answered with images: generated for it, joined to an
 * identical one in flight, served from the cache or replayed for its {@code Idempotency-Key}; a
 * synchronous request, a streamed one or an asynchronous job alike. Not for failed requests.
 * Beans; called on whatever thread completed the answer (often a storage or I/O thread):
 * implementations must return at once, be thread-safe and not throw (exceptions are logged and ignored).
 */
public interface GenerationListener {

    /** One answered request. */
    void onAnswered(Answered answered);

    /**
     * @param requestId     the request's {@code X-Request-Id} (an asynchronous job's creating request)
     * @param client        the client's name; empty for the anonymous client of open sandbox mode
     * @param request       the normalised request
     * @param generation    what it was answered with: the stored images, whether it was cached, the request hash
     * @param at            when the answer was ready
     * @param durationNanos from the router taking the request to the answer (for a job: its queueing included)
     */
    record Answered(String requestId, Optional<String> client, ImageRequest request, GenerationService.Generation generation,
                    Instant at, long durationNanos) {
    }
}
