package dev.imagerouter.vocabulary;

/**
 * Every metric name the router exports, in one place (Micrometer names; Prometheus adds
 * {@code _total}, {@code _seconds}, {@code _bucket}). Tags stay low-cardinality: never a prompt,
 * a hash or an id. The dashboard and alert rules in {@code grafana/} query these names.
 */
public final class MetricNames {

    private MetricNames() {
    }

    /**
     * Counter {outcome, cache}: outcome success|invalid_request|unauthorized|content_rejected|rate_limited|unavailable|failed;
     * cache hit|miss|bypass, where bypass is a {@code Cache-Control: no-cache} request that generated and hit includes a
     * no-cache request that joined an identical one in flight or replayed its {@code Idempotency-Key} (as its
     * {@code X-Router-Cache} says).
     */
    public static final String REQUESTS = "image_router_requests";
    /** Timer {outcome}: end-to-end latency, histogram buckets 0.01..60 s. */
    public static final String REQUEST_DURATION = "image_router_request_duration";
    /** Counter {provider, outcome, failure_kind}: outcome success|failure|skipped; failure_kind a FailureKind or none. */
    public static final String PROVIDER_ATTEMPTS = "image_router_provider_attempts";
    /** Timer {provider, outcome}: per-provider attempt latency. */
    public static final String PROVIDER_DURATION = "image_router_provider_duration";
    /** Counter {from, to, failure_kind}: to is the next provider or none. */
    public static final String FALLBACKS = "image_router_fallbacks";
    /** Counter {result}: hit|miss of result cache lookups (requests without {@code Cache-Control: no-cache}). */
    public static final String CACHE_GETS = "image_router_cache_gets";
    /** Gauge: entries in the result cache. */
    public static final String CACHE_SIZE = "image_router_cache_size";
    /** Function counter: result cache evictions. */
    public static final String CACHE_EVICTIONS = "image_router_cache_evictions";
    /** Function timer: time spent producing results for the cache (generations). */
    public static final String CACHE_LOAD_DURATION = "image_router_cache_load_duration";
    /** Gauge {provider}: credit balance. */
    public static final String PROVIDER_CREDITS = "image_router_provider_credits";
    /** Gauge {provider, level}: configured credit thresholds (warn|critical|skip). */
    public static final String PROVIDER_CREDITS_THRESHOLD = "image_router_provider_credits_threshold";
    /** Counter {provider, result}: credit balance checks. */
    public static final String CREDIT_CHECKS = "image_router_credit_checks";
    /** Counter {provider}: estimated spend in USD. */
    public static final String COST_USD = "image_router_cost_usd";
    /** Gauge {provider}: configured daily budget in USD. */
    public static final String DAILY_BUDGET_USD = "image_router_provider_daily_budget_usd";
    /** Gauge {provider}: configured daily budget in API credits. */
    public static final String DAILY_BUDGET_CREDITS = "image_router_provider_daily_budget_credits";
    /**
     * Counter {provider, used}: paid generations, {@code used="true"} when its images reached a client
     * or the result cache, {@code "false"} when they were paid for and never used.
     */
    public static final String PAID_GENERATIONS = "image_router_paid_generations";
    /** Gauge {provider, model}: 1 while the configured model is available. */
    public static final String MODEL_AVAILABLE = "image_router_model_available";
    /**
     * Gauge {provider, model}: the model's shutdown date as Unix seconds (00:00 UTC of that day), for every
     * configured provider with a known date, disabled ones included: the earlier of the provider file's
     * {@code shutdown-date} and the {@code shutdown_date} OpenAI's models API reports.
     */
    public static final String MODEL_SHUTDOWN_TIMESTAMP = "image_router_model_shutdown_timestamp_seconds";
    /** Counter {result}: configuration reloads. */
    public static final String CONFIG_RELOADS = "image_router_config_reloads";
    /** Counter {alert, severity}: alerts sent. */
    public static final String ALERTS = "image_router_alerts";
    /** Counter {provider, outcome}: provider callbacks received; outcome delivered|unknown|ignored|duplicate|invalid|unauthorized. */
    public static final String WEBHOOKS = "image_router_webhooks";
    /**
     * Counter {outcome}: job callback deliveries (POSTs to clients' callback URLs, plus give-ups decided without one);
     * outcome delivered|retrying|gave_up.
     */
    public static final String CALLBACK_DELIVERIES = "image_router_callback_deliveries";

    /** Gauge: 1 while the image store's writability probe succeeds, 0 while cache misses are refused (storage_unavailable). */
    public static final String STORAGE_WRITABLE = "image_router_storage_writable";
    /** Counter {kind}: files deleted by the store sweep; kind record (past the cache TTL) or temp (abandoned temporary file). */
    public static final String STORAGE_SWEPT_FILES = "image_router_storage_swept_files";

    /** Gauge {status}: unfinished asynchronous jobs, status queued|running. */
    public static final String JOBS = "image_router_jobs";
    /** Counter {status}: asynchronous jobs that ended, status succeeded|failed|cancelled. */
    public static final String JOBS_FINISHED = "image_router_jobs_finished";
    /** Gauge: asynchronous jobs waiting for a provider's rate-limit permit or concurrency slot. */
    public static final String JOB_QUEUE_DEPTH = "image_router_job_queue_depth";
    /** Timer {provider, outcome}: how long a queued job waited for a provider's permits; outcome admitted|expired|cancelled. */
    public static final String JOB_QUEUE_WAIT = "image_router_job_queue_wait";
    /** Gauge: router.jobs.max-queued, the most unfinished jobs accepted at once. */
    public static final String JOBS_MAX_QUEUED = "image_router_jobs_max_queued";

    /** Gauge: 1 while this replica is connected to Redis ({@code REDIS_URI}) and shares state through it; only with Redis configured. */
    public static final String REDIS_UP = "image_router_redis_up";
    /**
     * Counter {operation}: shared-state operations that fell back to this replica's own state (Redis down, slow or
     * answering an error); operation single_flight|provider_limits|client_limits|idempotency_keys|spend|credit_balance|jobs.
     */
    public static final String REDIS_FALLBACKS = "image_router_redis_fallbacks";

    /** Tag value when there is no failure kind. */
    public static final String NONE = "none";
    /** Gauge: 1 in sandbox mode, 0 in live mode (fixed at startup). */
    public static final String SANDBOX_MODE = "image_router_sandbox_mode";
}
