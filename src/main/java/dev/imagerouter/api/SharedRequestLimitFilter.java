package dev.imagerouter.api;

import dev.imagerouter.routing.RunningRouter;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.filter.FilterContinuation;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.filter.ServerFilterPhase;

import java.util.Optional;

/**
 * The per-client requests-per-minute limit counted in Redis, for every replica (REDIS_URI set): runs
 * right after {@link ClientAuthFilter}, which hands a request over by the attribute {@link #CLIENT}
 * only while a limit is set and Redis is up (otherwise it counts the request itself, synchronously).
 * Asynchronous, so no event-loop thread waits for Redis; a Redis failure on the way falls back to the
 * replica's own count. Exists only when a Redis URI is configured ({@link RedisConfigured}, the
 * sources the configuration reads it from), so a single node's filter chain is unchanged.
 */
@Requires(condition = RedisConfigured.class)
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public class SharedRequestLimitFilter implements Ordered {

    /** Request attribute: the client whose request the shared limit decides. */
    static final String CLIENT = "image-router.shared-limit-client";

    private final ClientLimits limits;
    private final ClientAuthFilter auth;
    private final RunningRouter runtime;

    public SharedRequestLimitFilter(ClientLimits limits, ClientAuthFilter auth, RunningRouter runtime) {
        this.limits = limits;
        this.auth = auth;
        this.runtime = runtime;
    }

    @Override
    public int getOrder() {
        return ServerFilterPhase.SECURITY.after();
    }

    /** @return the downstream response when admitted, else the 429 refusal */
    @RequestFilter
    public Publisher<MutableHttpResponse<?>> limit(HttpRequest<?> request,
                                                   FilterContinuation<Publisher<MutableHttpResponse<?>>> next) {
        Optional<String> client = request.getAttribute(CLIENT, String.class);
        if (client.isEmpty()) {
            return next.proceed();
        }
        int perMinute = runtime.config().auth().limits().requestsPerMinute();
        return Mono.fromFuture(limits.admitRequestShared(client.get(), perMinute)).flatMap(wait -> {
            HttpResponse<?> refused = auth.rateLimited(request, wait);
            return refused == null ? Mono.from(next.proceed()) : Mono.just((MutableHttpResponse<?>) refused);
        });
    }
}
