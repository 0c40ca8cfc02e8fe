package dev.imagerouter.settings;

import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;

/**
 * Sandbox mode: in-process emulators of the providers on this server, used when no provider key
 * is set (or when {@code ROUTER_SANDBOX=true}).
 *
 * @param enabled     whether the emulators serve and the providers point at them (fixed at startup)
 * @param modeReason  why this mode was chosen, naming the setting or variables (no values), for logs and /health
 * @param pendingMin  shortest Leonardo PENDING phase
 * @param pendingMax  longest Leonardo PENDING phase
 * @param faults      standing faults, {@code provider=fault[@probability],...}
 * @param openaiLatency fixed extra latency of the OpenAI emulator
 * @param webhook     whether the Leonardo emulator posts completion callbacks (WIRE §5)
 * @param webhookUrl  where it posts them: an http(s) URL, or a path on the server the create call was sent to
 * @param allowEmulatorDownloads whether image URLs on {@code 127.0.0.1} and {@code localhost} (the Leonardo CDN
 *                    emulator) may be downloaded in sandbox mode on top of {@code router.storage.download.allowed-hosts}
 *                    ({@code router.sandbox.allow-emulator-downloads}, default true; false lets a test prove that an
 *                    image URL outside the allow-list is never fetched)
 * @param flatImages  render one-colour images (a few KiB): benchmarks of the router's own overhead
 * @param openaiTransparent whether the OpenAI emulator renders {@code background: transparent}
 *                    ({@code router.sandbox.openai-transparent}, default false: 400 as for organisations without the preview)
 * @param openaiShutdownDates shutdown dates the OpenAI emulator announces in {@code GET /models/{model}}
 *                    ({@code router.sandbox.openai-shutdown-dates: "gpt-image-2=2027-01-15"}, default none)
 * @param lateAfter   how long after the calling instance's timeout a Leonardo job under the {@code late} fault
 *                    completes ({@code router.sandbox.late-after}, default 10 s)
 * @param lateTimeout the timeout the {@code late} fault assumes when the calling instance is unknown
 *                    ({@code router.sandbox.late-timeout}, default 30 s)
 * @param leonardoCreateLimit    creates the Leonardo emulator accepts in any {@code leonardoCreateWindow}, 0 = unlimited
 *                    ({@code router.sandbox.leonardo-create-limit}, default 0; Leonardo's is 100 per minute, Leonardo
 *                    docs, rate limits page, 2026)
 * @param leonardoCreateWindow   the sliding window of that limit ({@code router.sandbox.leonardo-create-window}, default 1 min)
 * @param leonardoConcurrentJobs Leonardo emulator jobs processing at once, 0 = unlimited; others wait PENDING for a slot
 *                    ({@code router.sandbox.leonardo-concurrent-jobs}, default 0; Leonardo's is 10)
 * @param leonardoPendingJobs    jobs that may wait for a slot; one more create answers 429
 *                    ({@code router.sandbox.leonardo-pending-jobs}, default 200, Leonardo's)
 * @param leonardoUnlistedModels names or ids of Leonardo v2 models the emulator's models list leaves out
 *                    ({@code router.sandbox.leonardo-unlisted-models}, default none)
 */
public record SandboxConfig(boolean enabled, String modeReason, Duration pendingMin, Duration pendingMax, String faults,
                            Duration openaiLatency, boolean webhook, String webhookUrl, boolean allowEmulatorDownloads,
                            boolean flatImages, boolean openaiTransparent, Map<String, LocalDate> openaiShutdownDates,
                            Duration lateAfter, Duration lateTimeout, int leonardoCreateLimit, Duration leonardoCreateWindow,
                            int leonardoConcurrentJobs, int leonardoPendingJobs, java.util.Set<String> leonardoUnlistedModels) {

    public SandboxConfig {
        openaiShutdownDates = openaiShutdownDates == null ? Map.of() : Map.copyOf(openaiShutdownDates);
        leonardoUnlistedModels = leonardoUnlistedModels == null ? java.util.Set.of() : java.util.Set.copyOf(leonardoUnlistedModels);
    }

    /** The router's own receiver. */
    public static final String DEFAULT_WEBHOOK_URL = "/v1/webhooks/leonardo";
}
