package dev.imagerouter.config;

import dev.imagerouter.configtree.ConfigErrors;
import dev.imagerouter.configtree.ConfigNode;
import dev.imagerouter.settings.ApiConfig;
import dev.imagerouter.settings.AuthConfig;
import dev.imagerouter.settings.CacheConfig;
import dev.imagerouter.settings.CallbackSettings;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.settings.SandboxConfig;

import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.provider.ResilienceSettings;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.policy.PolicyAction;
import dev.imagerouter.policy.PolicyRule;
import dev.imagerouter.policy.PolicyTable;
import dev.imagerouter.provider.DownloadSettings;
import dev.imagerouter.settings.StorageSettings;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

// Over 300 lines because it reads and validates every section of application.yml and the provider files in one pass over one problem list, so that every problem is reported at once.

/*
 * Configuration layout
 * --------------------
 * <config-dir>/application.yml   keys under `router:` — chain, policy table, cache, storage, sandbox, ...
 * <config-dir>/../providers/*.yml  (or <config-dir>/providers/*.yml if that exists) — one provider instance
 *                                  per file; the file name without .yml is the instance name; its keys
 *                                  are read as `router.providers.<name>.<key>`.
 *
 * Overrides (ConfigOverrides): every key can be overridden by an environment variable named after it
 * (router.cache.ttl ← ROUTER_CACHE_TTL, router.providers.leonardo-phoenix.timeout ←
 * ROUTER_PROVIDERS_LEONARDO_PHOENIX_TIMEOUT), a system property with the full dotted name, or a
 * property given in code (tests). String values may use ${ENV_VAR:default} placeholders (that is how
 * LEONARDO_BASE_URL and OPENAI_BASE_URL work).
 *
 * Every problem is collected and reported at once (ConfigException), naming file, key, value and
 * what was expected. The same code validates a hot reload, which is rejected as a whole.
 */
/** Reads and validates the router's configuration files. Stateless; thread-safe. */
public final class ConfigLoader {

    /** Provider types with an adapter. */
    public static final List<String> PROVIDER_TYPES = ProviderAdapters.typeNames();

    private final Function<String, Optional<String>> overrides;
    private final Function<String, String> environment;
    private final java.util.function.BiFunction<ProviderConfig, ConfigNode, dev.imagerouter.provider.ProviderSettings> providerValidator;

    /**
     * @param overrides   full dotted key → override value (for example Micronaut's property resolver)
     * @param environment environment variable lookup (System::getenv in production)
     */
    public ConfigLoader(Function<String, Optional<String>> overrides, Function<String, String> environment) {
        this(overrides, environment, (p, node) -> dev.imagerouter.provider.ProviderSettings.NONE);
    }

    /**
     * @param providerValidator parses and checks a provider's type-specific settings, recording problems in its node
     */
    public ConfigLoader(Function<String, Optional<String>> overrides, Function<String, String> environment,
                        java.util.function.BiFunction<ProviderConfig, ConfigNode, dev.imagerouter.provider.ProviderSettings> providerValidator) {
        this.overrides = overrides;
        this.environment = environment;
        this.providerValidator = providerValidator;
    }

    /**
     * Loads {@code configDir/application.yml} and every provider file.
     *
     * @throws ConfigException listing every problem found
     */
    public RouterConfig load(Path configDir) {
        ConfigErrors errors = new ConfigErrors();
        Path appFile = configDir.resolve("application.yml");
        List<String> files = new ArrayList<>();
        Map<String, Object> effective = new LinkedHashMap<>();
        Map<String, Object> app = readYaml(appFile, errors);
        files.add(appFile.toString());
        Object routerTree = app.get("router");
        if (!app.isEmpty() && !(routerTree instanceof Map)) {
            errors.add(appFile.toString(), "router", routerTree, "a map with the router's settings");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> routerMap = routerTree instanceof Map ? (Map<String, Object>) routerTree : Map.of();
        ConfigNode router = new ConfigNode(appFile.toString(), "router", routerMap, errors, this::override, effective);

        List<Path> providerFiles = providerFiles(configDir, errors);
        SandboxMode mode = sandboxMode(router, providerFiles);
        boolean sandbox = mode.sandbox();
        PolicyTable defaults = readPolicy(router.child("policy"), null);

        Map<String, ProviderConfig> providers = new TreeMap<>();
        Map<String, String> providerFileNames = new java.util.HashMap<>();
        Map<String, Object> providersEffective = new LinkedHashMap<>();
        effective.put("providers", providersEffective);
        for (Path file : providerFiles) {
            files.add(file.toString());
            String name = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            if (!name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
                errors.add(file.toString(), "(file name)", name, "a provider name of lowercase letters, digits and dashes");
                continue;
            }
            Map<String, Object> tree = readYaml(file, errors);
            Map<String, Object> providerEffective = new LinkedHashMap<>();
            providersEffective.put(name, providerEffective);
            ConfigNode node = new ConfigNode(file.toString(), "router.providers." + name, tree, errors, this::override,
                    providerEffective);
            ProviderConfig provider = readProvider(name, node, defaults, sandbox);
            if (PROVIDER_TYPES.contains(provider.type())) {
                provider = provider.withSettings(providerValidator.apply(provider, node));
            }
            providers.put(name, provider);
            providerFileNames.put(name, file.toString());
        }

        sharedLimitsAgree(providers, providerFileNames, errors);

        List<String> chain = router.stringList("chain", List.of());
        if (chain.isEmpty()) {
            router.problem("chain", chain, "a non-empty list of provider names");
        }
        Set<String> seen = new HashSet<>();
        List<String> enabledChain = new ArrayList<>();
        for (String entry : chain) {
            ProviderConfig p = providers.get(entry);
            if (p == null) {
                router.problem("chain", entry, "the name of a provider file in providers/ (known: " + providers.keySet() + ")");
            } else if (!seen.add(entry)) {
                router.problem("chain", entry, "each provider at most once");
            } else if (p.enabled()) {
                enabledChain.add(entry);
            }
        }
        if (!chain.isEmpty() && enabledChain.isEmpty() && errors.isEmpty()) {
            router.problem("chain", chain, "at least one enabled provider");
        }

        ConfigNode cacheNode = router.child("cache");
        CacheConfig cache = new CacheConfig(cacheNode.duration("ttl", Duration.ofHours(24)),
                cacheNode.longValue("max-entries", 10_000, 1, 100_000_000), cacheNode.bool("per-client", false),
                cacheNode.longValue("idempotency-keys-per-client", CacheConfig.DEFAULT_IDEMPOTENCY_KEYS_PER_CLIENT, 1, 10_000_000));

        ConfigNode storageNode = router.child("storage");
        StorageSettings storage = null;
        try {
            storage = new StorageSettings(Path.of(storageNode.string("dir", "data/images")),
                    storageNode.string("public-base-url", ""),
                    storageNode.duration("probe-interval", StorageSettings.DEFAULT_PROBE_INTERVAL, Duration.ofMillis(10)),
                    storageNode.duration("sweep-interval", StorageSettings.DEFAULT_SWEEP_INTERVAL, Duration.ofMillis(10)),
                    storageNode.integer("max-concurrent-downloads-per-client",
                            StorageSettings.DEFAULT_MAX_CONCURRENT_DOWNLOADS_PER_CLIENT, 1, 100_000),
                    StorageSettings.S3.read(storageNode.child("s3")));
        } catch (IllegalArgumentException e) {
            storageNode.problem("", storageNode.string("dir", ""), e.getMessage());
        }
        ConfigNode downloadNode = storageNode.child("download");
        DownloadSettings download = null;
        try {
            download = new DownloadSettings(
                    Set.copyOf(downloadNode.stringList("allowed-hosts", List.of("*.leonardo.ai"))),
                    downloadNode.longValue("max-bytes", DownloadSettings.DEFAULT_MAX_BYTES, 1, DownloadSettings.MAX_MAX_BYTES),
                    downloadNode.duration("timeout", DownloadSettings.DEFAULT_TIMEOUT));
        } catch (IllegalArgumentException e) {
            downloadNode.problem("allowed-hosts", downloadNode.stringList("allowed-hosts", List.of()), e.getMessage());
        }

        ConfigNode sandboxNode = router.child("sandbox");
        ConfigNode sandboxWebhook = sandboxNode.child("webhook");
        SandboxConfig sandboxConfig = new SandboxConfig(sandbox, mode.reason(),
                sandboxNode.duration("pending-min", Duration.ofSeconds(1)),
                sandboxNode.duration("pending-max", Duration.ofSeconds(3)),
                sandboxNode.string("faults", ""),
                sandboxNode.duration("openai-latency", Duration.ZERO),
                sandboxWebhook.bool("enabled", false),
                sandboxWebhook.string("url", SandboxConfig.DEFAULT_WEBHOOK_URL),
                sandboxNode.bool("allow-emulator-downloads", true),
                sandboxNode.bool("flat-images", false),
                sandboxNode.bool("openai-transparent", false),
                openAiShutdownDates(sandboxNode),
                sandboxNode.duration("late-after", Duration.ofSeconds(10)),
                sandboxNode.duration("late-timeout", Duration.ofSeconds(30)),
                sandboxNode.integer("leonardo-create-limit", 0, 0, dev.imagerouter.sandbox.LeonardoLimits.MAX_CREATE_LIMIT),
                sandboxNode.positiveDuration("leonardo-create-window", Duration.ofMinutes(1)),
                sandboxNode.integer("leonardo-concurrent-jobs", 0, 0, dev.imagerouter.sandbox.LeonardoLimits.MAX_JOBS),
                sandboxNode.integer("leonardo-pending-jobs", dev.imagerouter.sandbox.LeonardoLimits.LEONARDO_PENDING_JOBS, 0,
                        dev.imagerouter.sandbox.LeonardoLimits.MAX_JOBS),
                Set.copyOf(sandboxNode.stringList("leonardo-unlisted-models", List.of())));
        if (!sandboxConfig.webhookUrl().startsWith("/") && !sandboxConfig.webhookUrl().matches("https?://.+")) {
            sandboxWebhook.problem("url", sandboxConfig.webhookUrl(), "an http(s) URL or a path on this server such as "
                    + SandboxConfig.DEFAULT_WEBHOOK_URL);
        }
        AuthConfig auth = AuthConfig.read(router, sandbox, dev.imagerouter.sandbox.SandboxKeys.LEONARDO_WEBHOOK_KEY);
        ApiConfig api = ApiConfig.read(router);
        dev.imagerouter.settings.AlertSettings alerts = dev.imagerouter.settings.AlertSettings.read(router.child("alerts"));
        // the secret comes from the environment only (never a file): see CallbackSettings.SECRET_ENV
        CallbackSettings callbacks = CallbackSettings.read(router.child("callbacks"), sandbox,
                environment.apply(CallbackSettings.SECRET_ENV));
        dev.imagerouter.settings.JobSettings jobs = dev.imagerouter.settings.JobSettings.read(router.child("jobs"));
        dev.imagerouter.settings.ShutdownSettings shutdown = dev.imagerouter.settings.ShutdownSettings.read(router.child("shutdown"));
        dev.imagerouter.settings.HistorySettings history = dev.imagerouter.settings.HistorySettings.read(router.child("history"));
        // the Redis URI is read as redis.uri (REDIS_URI) only, never from a file, and kept out of the effective view
        dev.imagerouter.settings.ClusterSettings cluster = dev.imagerouter.settings.ClusterSettings.read(router,
                override(dev.imagerouter.settings.ClusterSettings.REDIS_URI_PROPERTY));
        if (sandboxConfig.pendingMax().compareTo(sandboxConfig.pendingMin()) < 0) {
            sandboxNode.problem("pending-max", sandboxConfig.pendingMax(), "at least pending-min (" + sandboxConfig.pendingMin() + ")");
        }

        errors.throwIfAny();
        ConfigNode reloadNode = router.child("reload");
        RouterConfig.ReloadConfig reload = new RouterConfig.ReloadConfig(reloadNode.bool("watch", true),
                reloadNode.duration("debounce", Duration.ofMillis(500)));
        return new RouterConfig(enabledChain, defaults, providers, cache, storage, download, sandboxConfig,
                effective, files, auth, api, alerts, reload, callbacks, jobs, shutdown, history, cluster);
    }

    /** {@code router.sandbox.openai-shutdown-dates}: comma-separated {@code model=YYYY-MM-DD}; a bad entry is a problem. */
    private static Map<String, java.time.LocalDate> openAiShutdownDates(ConfigNode sandboxNode) {
        String text = sandboxNode.string("openai-shutdown-dates", "");
        try {
            return dev.imagerouter.sandbox.SandboxSettings.parseShutdownDates(text);
        } catch (IllegalArgumentException e) {
            sandboxNode.problem("openai-shutdown-dates", text, "comma-separated model=YYYY-MM-DD entries, e.g. gpt-image-2=2027-01-15");
            return Map.of();
        }
    }

    /**
     * How the mode was chosen, for the startup log line and {@code /health}.
     *
     * @param sandbox whether the emulators serve and the providers point at them
     * @param reason  why, in words, naming the setting or the variables that decided it (never a value)
     */
    public record SandboxMode(boolean sandbox, String reason) {
    }

    /*
     * Sandbox or live, decided once at startup (a reload that would change it is rejected):
     *   1. router.sandbox.mode given as an override (ROUTER_SANDBOX_MODE, -Drouter.sandbox.mode, a test
     *      property), else the environment variable ROUTER_SANDBOX, else the file's router.sandbox.mode,
     *      else auto;
     *   2. true / false force the mode (true with client or admin keys runs an authenticated sandbox);
     *   3. auto: live as soon as client or admin keys are set (router.auth.api-keys / admin-key, i.e.
     *      ROUTER_API_KEYS / ROUTER_ADMIN_KEY), so that a deployment whose provider secrets failed to
     *      mount stops with a message naming each missing variable instead of serving fake images;
     *      otherwise sandbox only when no enabled provider of the chain has a key in the variable its
     *      own api-key-env names, live when any has (then every one must).
     */
    private SandboxMode sandboxMode(ConfigNode router, List<Path> providerFiles) {
        ConfigNode node = router.child("sandbox");
        String setting = override("router.sandbox.mode").map(v -> "router.sandbox.mode")
                .or(() -> isBlank(environment.apply("ROUTER_SANDBOX")) ? Optional.empty() : Optional.of("ROUTER_SANDBOX"))
                .orElse("router.sandbox.mode");
        String mode = override("router.sandbox.mode")
                .or(() -> Optional.ofNullable(environment.apply("ROUTER_SANDBOX")).filter(v -> !v.isBlank()))
                .or(() -> node.optionalString("mode"))
                .orElse("auto").trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "true":
                return new SandboxMode(true, setting + "=true");
            case "false":
                return new SandboxMode(false, setting + "=false");
            case "auto":
                break;
            default:
                node.problem("mode", mode, "auto, true or false");
                return new SandboxMode(false, "invalid mode");
        }
        ConfigNode auth = router.child("auth");
        if (auth.optionalString("api-keys").filter(k -> !k.isBlank()).isPresent()
                || auth.optionalString("admin-key").filter(k -> !k.isBlank()).isPresent()) {
            return new SandboxMode(false, "auto: client or admin keys are set (ROUTER_API_KEYS / ROUTER_ADMIN_KEY), "
                    + "so every provider of the chain needs its key");
        }
        List<String> chain = router.stringList("chain", List.of());
        List<String> keyed = new ArrayList<>();
        List<String> unkeyed = new ArrayList<>();
        for (Path file : providerFiles) {
            String name = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            if (!chain.contains(name)) {
                continue;
            }
            // a scratch node: this pass only peeks at two keys; the real read below reports problems
            ConfigNode provider = new ConfigNode(file.toString(), "router.providers." + name, readYaml(file, new ConfigErrors()),
                    new ConfigErrors(), this::override, new LinkedHashMap<>());
            if (!provider.bool("enabled", true)) {
                continue;
            }
            String keyEnv = provider.string("api-key-env", "");
            (keyEnv.isEmpty() || isBlank(environment.apply(keyEnv)) ? unkeyed : keyed).add(keyEnv.isEmpty() ? name : keyEnv);
        }
        if (keyed.isEmpty()) {
            return new SandboxMode(true, "auto: no provider of the chain has its key set (" + String.join(", ", unkeyed) + ")");
        }
        return new SandboxMode(false, "auto: provider keys are set (" + String.join(", ", keyed) + ")");
    }

    private ProviderConfig readProvider(String name, ConfigNode node, PolicyTable defaults, boolean sandbox) {
        String type = node.string("type", "");
        if (!PROVIDER_TYPES.contains(type)) {
            node.problem("type", type, "one of " + PROVIDER_TYPES);
        }
        boolean enabled = node.bool("enabled", true);
        String baseUrl = node.string("base-url", "");
        if (!baseUrl.matches("https?://.+")) {
            node.problem("base-url", baseUrl, "an http(s) URL");
        }
        String keyEnv = node.string("api-key-env", "");
        Optional<String> apiKey = keyEnv.isEmpty() ? Optional.empty() : Optional.ofNullable(environment.apply(keyEnv)).filter(k -> !k.isBlank());
        if (enabled && !sandbox && apiKey.isEmpty()) {
            node.problem("api-key-env", keyEnv, "an environment variable that holds the API key (it is not set; set it, "
                    + "set enabled: false, or run in sandbox mode)");
        }
        String model = node.string("model", "");
        if (model.isEmpty()) {
            node.problem("model", model, "a model id or name");
        }
        Duration timeout = node.positiveDuration("timeout", Duration.ofSeconds(30));
        Optional<java.time.LocalDate> shutdownDate = node.optionalDate("shutdown-date");
        Optional<String> account = node.optionalString("account");
        if (account.isPresent() && !account.get().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            node.problem("account", account.get(), "an account name of letters, digits, dots, dashes and underscores");
            account = Optional.empty();
        }
        ConfigNode r = node.child("resilience");
        ResilienceSettings resilience = new ResilienceSettings(
                r.integer("failure-rate-threshold", 50, 1, 100),
                r.integer("minimum-calls", 10, 1, 10_000),
                r.integer("sliding-window-size", 20, 1, 10_000),
                r.duration("wait-in-open", Duration.ofSeconds(30)),
                r.integer("permitted-calls-in-half-open", 2, 1, 1_000),
                r.integer("limit-for-period", 100, 1, 1_000_000),
                r.duration("limit-refresh-period", Duration.ofMinutes(1)),
                r.duration("permit-wait", Duration.ZERO),
                r.integer("max-concurrent-calls", 10, 1, 1_000_000));
        PolicyTable policy = readPolicy(node.child("policy"), defaults);
        return new ProviderConfig(name, type, enabled, baseUrl, keyEnv, apiKey, model, timeout, resilience, policy, dev.imagerouter.provider.ProviderSettings.NONE,
                shutdownDate, account);
    }

    /**
     * The enabled providers of one account ({@link ProviderConfig#limitKey()}) share one rate limiter and one bulkhead,
     * so their files must give them the same settings: {@code resilience.limit-for-period}, {@code limit-refresh-period},
     * {@code permit-wait} and {@code max-concurrent-calls}. A file that disagrees with the first enabled file of its
     * account (by name) is a problem naming both.
     */
    private static void sharedLimitsAgree(Map<String, ProviderConfig> providers, Map<String, String> files, ConfigErrors errors) {
        Map<String, ProviderConfig> first = new LinkedHashMap<>();
        for (ProviderConfig p : providers.values()) {
            if (!p.enabled()) {
                continue;
            }
            ProviderConfig owner = first.putIfAbsent(p.limitKey(), p);
            if (owner != null && !sharedLimits(owner).equals(sharedLimits(p))) {
                errors.add(files.get(p.name()), "router.providers." + p.name() + ".resilience", sharedLimits(p),
                        "the same limit-for-period, limit-refresh-period, permit-wait and max-concurrent-calls as "
                                + owner.name() + " (" + sharedLimits(owner) + "): both share account " + p.limitKey()
                                + "'s rate limiter and bulkhead (set account: to separate them)");
            }
        }
    }

    private static String sharedLimits(ProviderConfig p) {
        ResilienceSettings r = p.resilience();
        return "limit-for-period=" + r.limitForPeriod() + ", limit-refresh-period=" + r.limitRefreshPeriod()
                + ", permit-wait=" + r.permitWait() + ", max-concurrent-calls=" + r.maxConcurrentCalls();
    }

    /** {@code wait-for-accepted-job}, which only the TIMEOUT row may set. */
    private static boolean waitForAcceptedJob(FailureKind kind, ConfigNode row, PolicyRule inherited) {
        boolean inheritedValue = inherited != null && inherited.waitForAcceptedJob();
        if (kind != FailureKind.TIMEOUT) {
            if (row.keys().contains("wait-for-accepted-job")) {
                row.problem("wait-for-accepted-job", row.bool("wait-for-accepted-job", false),
                        "no key here: only the TIMEOUT row can wait for an accepted job");
            }
            return false;
        }
        return row.bool("wait-for-accepted-job", inheritedValue);
    }

    /**
     * Reads a policy table: {@code <KIND>: {action, max-retries, backoff, jitter, retry-after-cap, alert, log-prompt}},
     * and on the TIMEOUT row {@code wait-for-accepted-job}.
     * With {@code base} given, rows override the base row field by field and missing rows are inherited.
     */
    static PolicyTable readPolicy(ConfigNode node, PolicyTable base) {
        Map<FailureKind, PolicyRule> rules = new EnumMap<>(FailureKind.class);
        if (base != null) {
            rules.putAll(base.rules());
        }
        List<String> kindNames = PolicyTable.REQUIRED_KINDS.stream().map(Enum::name).toList();
        List<String> actionNames = Arrays.stream(PolicyAction.values()).map(Enum::name).toList();
        Set<FailureKind> mentioned = java.util.EnumSet.noneOf(FailureKind.class);
        for (String key : node.keys()) {
            if (!kindNames.contains(key)) {
                node.problem(key, key, "a failure kind, one of " + kindNames);
                continue;
            }
            FailureKind kind = FailureKind.valueOf(key);
            mentioned.add(kind);
            PolicyRule inherited = rules.get(kind);
            ConfigNode row = node.child(key);
            String actionText = row.string("action", inherited == null ? "" : inherited.action().name());
            if (!actionNames.contains(actionText)) {
                row.problem("action", actionText, "one of " + actionNames);
                continue;
            }
            try {
                rules.put(kind, new PolicyRule(kind, PolicyAction.valueOf(actionText),
                        row.integer("max-retries", inherited == null ? 0 : inherited.maxRetries(), 0, 10),
                        row.duration("backoff", inherited == null ? Duration.ofSeconds(2) : inherited.backoff()),
                        row.decimal("jitter", inherited == null ? 0.0 : inherited.jitter(), 0.0, 1.0),
                        row.duration("retry-after-cap", inherited == null ? Duration.ofSeconds(30) : inherited.retryAfterCap()),
                        row.bool("alert", inherited != null && inherited.alert()),
                        row.bool("log-prompt", inherited != null && inherited.logPrompt()),
                        waitForAcceptedJob(kind, row, inherited)));
            } catch (IllegalArgumentException e) {
                row.problem("action", actionText, e.getMessage());
            }
        }
        List<FailureKind> missing = PolicyTable.REQUIRED_KINDS.stream().filter(k -> !rules.containsKey(k)).toList();
        List<FailureKind> unmentioned = missing.stream().filter(k -> !mentioned.contains(k)).toList();
        if (!unmentioned.isEmpty()) {
            node.errors().add(node.file(), node.key(""), unmentioned, "a policy row for every failure kind; missing " + unmentioned);
        }
        if (!missing.isEmpty()) {
            for (FailureKind kind : missing) {
                rules.put(kind, new PolicyRule(kind, PolicyAction.FALLBACK, 0, Duration.ZERO, 0, Duration.ZERO, false, false));
            }
        }
        return PolicyTable.of(rules);
    }

    private Optional<String> override(String key) {
        Optional<String> direct = overrides.apply(key);
        if (direct.isPresent()) {
            return direct;
        }
        String normalised = key.toLowerCase(Locale.ROOT).replace('_', '-');
        return normalised.equals(key) ? Optional.empty() : overrides.apply(normalised);
    }

    private static List<Path> providerFiles(Path configDir, ConfigErrors errors) {
        Path inside = configDir.resolve("providers");
        Path beside = configDir.toAbsolutePath().normalize().getParent() == null ? inside
                : configDir.toAbsolutePath().normalize().getParent().resolve("providers");
        Path dir = Files.isDirectory(inside) ? inside : beside;
        if (!Files.isDirectory(dir)) {
            errors.addMessage(dir + ": no providers directory (expected one *.yml file per provider)");
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches(".+\\.ya?ml")).sorted().toList();
        } catch (IOException e) {
            errors.addMessage(dir + ": cannot be read: " + e.getMessage());
            return List.of();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readYaml(Path file, ConfigErrors errors) {
        if (!Files.isRegularFile(file)) {
            errors.addMessage(file + ": file not found");
            return Map.of();
        }
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
            if (tree == null) {
                return Map.of();
            }
            if (!(tree instanceof Map)) {
                errors.addMessage(file + ": expected a map of settings at the top level");
                return Map.of();
            }
            return (Map<String, Object>) tree;
        } catch (IOException | RuntimeException e) {
            errors.addMessage(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            return Map.of();
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
