package dev.imagerouter.api;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.routing.ProviderHandle;
import dev.imagerouter.routing.ProviderStatusContributor;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The admin surface (protected by the admin key, see the auth filter):
 * <ul>
 *   <li>{@code GET /admin/chain}: the active chain, each provider with type, model, breaker state,
 *       rate-limiter permits, bulkhead slots, last failure and contributed fields (credit balance)</li>
 *   <li>{@code GET /admin/config}: the effective configuration, secrets masked</li>
 *   <li>{@code POST /admin/reload}: re-read config/ and providers/; 200 when applied, 422 with every
 *       problem when rejected (the running configuration stays)</li>
 * </ul>
 */
@Controller("/admin")
public class AdminController {

    /**
     * Keys whose values are secrets: shown as {@code ***}. {@code api-key-env} names a variable and is
     * shown. Webhook URLs count as secrets: a Slack incoming-webhook URL is its own token.
     */
    static final Pattern SECRET_KEY = Pattern.compile("(?i).*(api-key|api-keys|admin-key|webhook-key|webhook-url|secret|password|token|authorization)$");
    private static final String MASK = "***";

    private final RunningRouter runtime;
    private final ConfigAdmin reloader;
    private final List<ProviderStatusContributor> contributors;

    public AdminController(RunningRouter runtime, ConfigAdmin reloader, List<ProviderStatusContributor> contributors) {
        this.runtime = runtime;
        this.reloader = reloader;
        this.contributors = contributors;
    }

    @Get(uri = "/chain", produces = MediaType.APPLICATION_JSON)
    public Map<String, Object> chain() {
        var chain = runtime.chain();
        List<Map<String, Object>> providers = chain.providers().stream().map(this::describe).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", chain.version());
        out.put("sandbox", runtime.config().sandbox().enabled());
        out.put("providers", providers);
        return out;
    }

    private Map<String, Object> describe(ProviderHandle p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("type", p.provider().type());
        m.put("model", p.provider().model());
        m.put("base_url", p.config().baseUrl());
        m.put("circuit_breaker", p.resilience().circuitBreaker().getState().name());
        m.put("failure_rate", p.resilience().circuitBreaker().getMetrics().getFailureRate());
        m.put("account", p.config().limitKey());
        m.put("rate_limit_permits", p.resilience().rateLimiter().getMetrics().getAvailablePermissions());
        m.put("bulkhead_available", p.resilience().bulkhead().getMetrics().getAvailableConcurrentCalls());
        m.put("cooling_down", p.coolingDown());
        m.put("last_failure", p.lastFailure().orElse(null));
        for (ProviderStatusContributor c : contributors) {
            m.putAll(c.status(p));
        }
        return m;
    }

    @Get(uri = "/config", produces = MediaType.APPLICATION_JSON)
    public Map<String, Object> config() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("config_dir", reloader.configDir().toAbsolutePath().toString());
        out.put("files", runtime.config().files());
        out.put("chain", runtime.config().chain());
        out.put("router", mask(runtime.config().effective()));
        return out;
    }

    @Post(uri = "/reload", produces = MediaType.APPLICATION_JSON)
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<Map<String, Object>> reload() {
        ConfigAdmin.Reload result = reloader.reload();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("applied", result.applied());
        body.put("chain", result.chain());
        if (!result.applied()) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("message", "configuration rejected: " + String.join("; ", result.problems()));
            error.put("type", "invalid_request_error");
            error.put("param", null);
            error.put("code", "invalid_configuration");
            body.put("error", error);
            body.put("problems", result.problems());
            return HttpResponse.status(HttpStatus.UNPROCESSABLE_ENTITY).body(body);
        }
        return HttpResponse.ok(body);
    }

    /** A deep copy of the tree with secret values replaced by {@code ***}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> mask(Map<String, Object> tree) {
        Map<String, Object> out = new LinkedHashMap<>();
        tree.forEach((key, value) -> {
            if (SECRET_KEY.matcher(key).matches() && value != null && !(value instanceof Map)) {
                out.put(key, value.toString().isEmpty() ? "" : MASK);
            } else if (value instanceof Map<?, ?> m) {
                out.put(key, mask((Map<String, Object>) m));
            } else {
                out.put(key, value);
            }
        });
        return out;
    }
}
