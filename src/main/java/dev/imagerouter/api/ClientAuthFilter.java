package dev.imagerouter.api;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.vocabulary.LogText;
import dev.imagerouter.settings.AuthConfig;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.vocabulary.Secret;
import dev.imagerouter.metrics.RouterMetrics;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.order.Ordered;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.http.filter.ServerFilterPhase;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import io.micronaut.web.router.RouteAttributes;
import io.micronaut.web.router.UriRouteMatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/*
 * Inbound authentication
 * ----------------------
 * Every request passes here first (SECURITY phase). EndpointAccess classifies it by its canonical
 * path and, when a route matched, by the route's template too (the stricter wins):
 *   OPEN     /health, /sandbox/** (the emulators check their own provider-style keys),
 *            /v1/webhooks/** (the receiver checks the webhook key), /v1/images/files/** and
 *            /prometheus unless router.auth.protect-files / protect-metrics
 *   CLIENT   everything else: `Authorization: Bearer <client key>`; the client's name goes to the
 *            request attribute ApiErrorHandlers.CLIENT_NAME (cache namespace, logs), then the
 *            requests-per-minute limit applies. No client key configured: open in sandbox mode
 *            (client "anonymous"), refused otherwise.
 *   ADMIN    /admin/** and the console (/console, /console/**): the admin key only (a client key is
 *            refused). No admin key configured: open in sandbox mode, refused otherwise. On GET and
 *            HEAD the key may also come as the password of HTTP Basic (any user name): that is how a
 *            browser opens the console. /console's 401 challenges with Basic, the browser asks for the
 *            key once and then sends it with every request of the page, its fetch calls to /admin/**
 *            included, so the page's script never holds the key. Never on POST (/admin/reload): a
 *            browser attaches Basic credentials by itself, even to a form another site submits.
 *   METRICS  protected /prometheus: a client key or the admin key.
 * Keys are compared in constant time over SHA-256 digests (Secret, AuthConfig.authenticate). A
 * refusal is 401 invalid_api_key in the OpenAI error shape and never repeats what was sent.
 */
/** Client, admin and metrics authentication plus the per-client request rate; see the block comment. */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public class ClientAuthFilter implements Ordered {

    private static final Logger LOG = LoggerFactory.getLogger(ClientAuthFilter.class);
    private static final String GENERATIONS = "/v1/images/generations";
    /** The console's challenge (RFC 7617): browsers ask for a user name and password; the password is the admin key. */
    static final String BASIC_CHALLENGE = "Basic realm=\"image-router admin\", charset=\"UTF-8\"";

    private final RunningRouter runtime;
    private final ClientLimits limits;
    private final RouterMetrics metrics;

    public ClientAuthFilter(RunningRouter runtime, ClientLimits limits, RouterMetrics metrics) {
        this.runtime = runtime;
        this.limits = limits;
        this.metrics = metrics;
    }

    @Override
    public int getOrder() {
        return ServerFilterPhase.SECURITY.order();
    }

    /** Says at startup how the router is protected (names only, never keys). */
    @EventListener
    void onStartup(ServerStartupEvent event) {
        RouterConfig config = runtime.config();
        AuthConfig auth = config.auth();
        boolean sandbox = config.sandbox().enabled();
        if (auth.clients().isEmpty()) {
            if (sandbox) {
                LOG.warn("AUTH OPEN: sandbox mode and no client keys (ROUTER_API_KEYS): every endpoint is open to anyone "
                        + "who can reach this port");
            } else {
                LOG.error("no client keys configured (ROUTER_API_KEYS): every client request is refused with 401");
            }
        } else {
            LOG.info("client auth on: {} client key(s) {}", auth.clients().size(),
                    LogText.escape(auth.clients().stream().map(AuthConfig.ClientKey::name).toList()));
        }
        if (auth.adminKey().isEmpty()) {
            if (sandbox) {
                LOG.warn("ADMIN OPEN: sandbox mode and no admin key (ROUTER_ADMIN_KEY): /admin/** is open");
            } else {
                LOG.warn("no admin key configured (ROUTER_ADMIN_KEY): /admin/** is refused with 401");
            }
        }
    }

    /** @return null to let the request through, else the refusal */
    @RequestFilter
    @Nullable
    public HttpResponse<?> authenticate(HttpRequest<?> request) {
        RouterConfig config = runtime.config();
        AuthConfig auth = config.auth();
        EndpointAccess access = EndpointAccess.of(request.getPath(), auth);
        Optional<String> template = RouteAttributes.getRouteMatch(request)
                .filter(UriRouteMatch.class::isInstance)
                .map(m -> ((UriRouteMatch<?, ?>) m).getRouteInfo().getUriMatchTemplate().toString());
        if (template.isPresent()) {
            access = EndpointAccess.stricter(access, EndpointAccess.of(template.get(), auth));
        }
        boolean sandbox = config.sandbox().enabled();
        Optional<String> token = bearer(request);
        return switch (access) {
            case OPEN -> null;
            case ADMIN -> {
                if (auth.adminKey().isEmpty()) {
                    yield sandbox ? null : refuse(request, "Admin endpoints are disabled: no admin key is configured.");
                }
                Optional<String> key = token.isPresent() ? token : basicPassword(request);
                yield matches(auth.adminKey(), key) ? null : refuse(request, key);
            }
            case METRICS -> {
                if (sandbox && auth.clients().isEmpty() && auth.adminKey().isEmpty()) {
                    yield null; // open sandbox: nothing to authenticate against
                }
                yield token.isPresent() && (auth.authenticate(token.get()).isPresent() || matches(auth.adminKey(), token))
                        ? null : refuse(request, token);
            }
            case CLIENT -> client(request, auth, sandbox, token);
        };
    }

    private HttpResponse<?> client(HttpRequest<?> request, AuthConfig auth, boolean sandbox, Optional<String> token) {
        String name;
        if (auth.clients().isEmpty() && sandbox) {
            name = ClientLimits.ANONYMOUS;
        } else {
            Optional<String> client = token.flatMap(auth::authenticate);
            if (client.isEmpty()) {
                return refuse(request, token);
            }
            name = client.get();
            request.setAttribute(ApiErrorHandlers.CLIENT_NAME, name);
        }
        if (limits.sharesRequests(auth.limits().requestsPerMinute())) {
            // counted in Redis for every replica, by SharedRequestLimitFilter right after this filter
            request.setAttribute(SharedRequestLimitFilter.CLIENT, name);
            return null;
        }
        return rateLimited(request, limits.admitRequest(name, auth.limits().requestsPerMinute()));
    }

    /** The 429 {@code rate_limit_exceeded} refusal when {@code wait} is present, else null (admitted). */
    @Nullable
    HttpResponse<?> rateLimited(HttpRequest<?> request, Optional<Duration> wait) {
        if (wait.isPresent()) {
            int perMinute = runtime.config().auth().limits().requestsPerMinute();
            long seconds = ClientLimits.retryAfterSeconds(wait.get());
            return respond(request, new ApiException(HttpStatus.TOO_MANY_REQUESTS, "Rate limit reached for this API key: "
                    + perMinute + " requests per minute. Retry after " + seconds + " s.", "requests",
                    null, "rate_limit_exceeded", Map.of(HttpHeaders.RETRY_AFTER, Long.toString(seconds)), null), "rate_limited");
        }
        return null;
    }

    private static boolean matches(Optional<Secret> key, Optional<String> token) {
        return key.isPresent() && token.isPresent() && key.get().matches(token.get());
    }

    /** The token of {@code Authorization: Bearer <token>}; empty when absent or another scheme. */
    static Optional<String> bearer(HttpRequest<?> request) {
        String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
        if (header == null || header.length() <= 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String token = header.substring(7).trim();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }

    /**
     * The password of {@code Authorization: Basic base64(user:password)} on a GET or HEAD; empty for
     * other methods, other schemes and undecodable credentials.
     */
    static Optional<String> basicPassword(HttpRequest<?> request) {
        String method = request.getMethodName();
        String header = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
        if (!("GET".equals(method) || "HEAD".equals(method)) || header == null || header.length() <= 6
                || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String credentials;
        try {
            credentials = new String(java.util.Base64.getDecoder().decode(header.substring(6).trim()),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = credentials.indexOf(':');
        return colon < 0 || colon == credentials.length() - 1 ? Optional.empty() : Optional.of(credentials.substring(colon + 1));
    }

    private HttpResponse<?> refuse(HttpRequest<?> request, Optional<String> token) {
        return refuse(request, token.isEmpty()
                ? "You didn't provide an API key. Send it in an Authorization header: 'Authorization: Bearer <key>'."
                : "Incorrect API key provided.");
    }

    private HttpResponse<?> refuse(HttpRequest<?> request, String message) {
        // the console's page is opened by a browser: a Basic challenge makes it ask for the admin key
        String challenge = EndpointAccess.isConsole(EndpointAccess.canonical(request.getPath())) ? BASIC_CHALLENGE : "Bearer";
        return respond(request, new ApiException(HttpStatus.UNAUTHORIZED, message, "invalid_request_error", null,
                "invalid_api_key", Map.of(HttpHeaders.WWW_AUTHENTICATE, challenge), null), "unauthorized");
    }

    /** The refusal in the OpenAI error shape, with {@code X-Request-Id}; counted when it is a generation request. */
    private HttpResponse<?> respond(HttpRequest<?> request, ApiException e, String outcome) {
        if (request.getAttribute(GenerationController.REQUEST_ID).isEmpty()) { // RequestLog gave most requests theirs
            request.setAttribute(GenerationController.REQUEST_ID, GenerationController.newRequestId());
        }
        if (EndpointAccess.canonical(request.getPath()).equals(GENERATIONS)) {
            request.setAttribute(ApiErrorHandlers.START_NANOS, System.nanoTime());
        }
        return ApiErrorHandlers.respond(request, e, metrics, outcome).contentType(MediaType.APPLICATION_JSON_TYPE);
    }
}
