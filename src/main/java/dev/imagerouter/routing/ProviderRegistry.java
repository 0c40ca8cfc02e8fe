package dev.imagerouter.routing;

import dev.imagerouter.provider.ImageProvider;
import dev.imagerouter.provider.ProviderConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Holds the active {@link Chain} and swaps it atomically when the configuration changes. Adapters
 * of providers whose settings did not change are reused (with their connection pools); breaker,
 * rate-limiter and cooldown state carry over. Replaced adapters are closed after a grace period so
 * that requests in flight on the old chain finish. Thread-safe.
 */
public final class ProviderRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderRegistry.class);

    private final ProviderResilience resilience;
    private final dev.imagerouter.provider.ProviderFactory adapters;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final AtomicReference<Chain> current = new AtomicReference<>(new Chain(List.of(), 0));
    private final Map<String, ProviderHandle> handles = new HashMap<>();
    private final AtomicLong versions = new AtomicLong();

    public ProviderRegistry(ProviderResilience resilience, dev.imagerouter.provider.ProviderFactory adapters, Clock clock,
                            ScheduledExecutorService scheduler) {
        this.resilience = resilience;
        this.adapters = adapters;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** The chain new requests use. */
    public Chain current() {
        return current.get();
    }

    /** Every provider handle built so far, by name (enabled or not in the current chain). */
    public synchronized Map<String, ProviderHandle> handles() {
        return Map.copyOf(handles);
    }

    /**
     * Builds the chain for {@code chainNames} from resolved provider configs and makes it current.
     *
     * @param providers every provider config by name, endpoints already resolved (sandbox or real)
     */
    public synchronized Chain apply(List<String> chainNames, Map<String, ProviderConfig> providers) {
        List<ProviderHandle> chain = new ArrayList<>();
        List<AutoCloseable> retired = new ArrayList<>();
        for (String name : chainNames) {
            ProviderConfig config = providers.get(name);
            ProviderHandle previous = handles.get(name);
            ImageProvider adapter;
            if (previous != null && sameAdapter(previous.config(), config)) {
                adapter = previous.provider();
            } else {
                adapter = adapters.create(config);
                if (previous != null && previous.provider() instanceof AutoCloseable c) {
                    retired.add(c);
                }
            }
            ProviderHandle handle = new ProviderHandle(adapter, config, resilience.forProvider(config), clock, previous);
            handles.put(name, handle);
            chain.add(handle);
        }
        Chain next = new Chain(chain, versions.incrementAndGet());
        current.set(next);
        if (!retired.isEmpty()) {
            scheduler.schedule(() -> retired.forEach(ProviderRegistry::closeQuietly), 10, TimeUnit.MINUTES);
        }
        LOG.info("chain v{}: {}", next.version(), next.names());
        return next;
    }

    private static boolean sameAdapter(ProviderConfig a, ProviderConfig b) {
        return a.type().equals(b.type()) && a.baseUrl().equals(b.baseUrl()) && a.model().equals(b.model())
                && a.apiKey().equals(b.apiKey()) && a.timeout().equals(b.timeout())
                && a.settings().equals(b.settings());
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing a retired provider failed: {}", e.toString());
        }
    }

    @Override
    public synchronized void close() {
        handles.values().forEach(h -> {
            if (h.provider() instanceof AutoCloseable c) {
                closeQuietly(c);
            }
        });
        handles.clear();
    }
}
