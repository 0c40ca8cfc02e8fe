package dev.imagerouter.settings;

import dev.imagerouter.provider.ProviderConfig;
import dev.imagerouter.policy.PolicyTable;
import dev.imagerouter.provider.DownloadSettings;

import java.util.List;
import java.util.Map;

/**
 * The whole effective configuration, immutable: built by {@link ConfigLoader} from
 * {@code config/application.yml} and {@code providers/*.yml} plus overrides, validated in full.
 *
 * @param chain      provider instance names in the order they are tried (enabled ones only)
 * @param policy     the default policy table
 * @param providers  every configured provider instance, enabled or not, by name
 * @param cache      result cache settings
 * @param storage    image store settings
 * @param download   provider image download settings
 * @param sandbox    sandbox (emulator) settings
 * @param effective  the effective settings as a tree, for the admin view (secrets are masked there)
 * @param files      the files read
 * @param auth       inbound credentials and per-client limits
 * @param api        input limits of the public API
 * @param alerts     alert sinks (webhook) and alert rate limiting
 * @param reload     file watching for hot reload (read at startup)
 * @param callbacks  outbound job callbacks: allowed destinations, signing secret, retry timings ({@code router.callbacks})
 * @param jobs       asynchronous jobs ({@code router.jobs.*})
 * @param shutdown   graceful shutdown ({@code router.shutdown.*})
 * @param history    the generation history behind the console ({@code router.history.*})
 * @param cluster    state shared by replicas through Redis ({@code REDIS_URI}, {@code router.redis.*}; read at startup)
 */
public record RouterConfig(List<String> chain, PolicyTable policy, Map<String, ProviderConfig> providers,
                           CacheConfig cache, StorageSettings storage, DownloadSettings download,
                           SandboxConfig sandbox, Map<String, Object> effective, List<String> files,
                           AuthConfig auth, ApiConfig api, dev.imagerouter.settings.AlertSettings alerts,
                           ReloadConfig reload, CallbackSettings callbacks,
                           JobSettings jobs, ShutdownSettings shutdown, HistorySettings history,
                           ClusterSettings cluster) {

    public RouterConfig {
        chain = List.copyOf(chain);
        providers = Map.copyOf(providers);
        files = List.copyOf(files);
    }

    /**
     * @param watch    watch config/ and providers/ and reload on a change (POST /admin/reload works either way)
     * @param debounce quiet time after the last change before reloading (editors write in steps)
     */
    public record ReloadConfig(boolean watch, java.time.Duration debounce) {
    }
}
