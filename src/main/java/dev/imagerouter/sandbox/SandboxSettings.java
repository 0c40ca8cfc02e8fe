package dev.imagerouter.sandbox;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

// Over 300 lines because one record of every emulator setting with its builder and validation; they change together.

/**
 * Immutable emulator settings, validated on construction (messages name the
 * {@code router.sandbox.*} key, the bad value and what was expected).
 *
 * @param pendingMin               shortest PENDING phase of a Leonardo job (default 1 s)
 * @param pendingMax               longest PENDING phase; each job draws uniformly in [min, max] (default 3 s)
 * @param faults                   standing faults in {@link FaultPlan} syntax, "" for none
 * @param openaiLatency            fixed latency of every OpenAI generation answer (default 0)
 * @param slowDelay                extra delay of the {@code slow} fault (default 5 s)
 * @param startingBalance          Leonardo {@code apiSubscriptionTokens} after {@link SandboxState#configure} (default 10000 credits)
 * @param creditsPerImage          Leonardo cost of one image in credits; a job costs {@code creditsPerImage × num_images} (default 8)
 * @param leonardoModerationStatus HTTP status of Leonardo's moderation error, 400 or 403 (WIRE §6.2 disagrees with itself; default 400)
 * @param openaiAvailableModels    models the OpenAI emulator serves; others get 404 {@code model_not_found}
 * @param leonardoApiKeys          extra accepted Leonardo keys (UUIDs) besides {@link SandboxKeys#LEONARDO_API_KEY}
 * @param openaiApiKeys            extra accepted OpenAI keys besides {@link SandboxKeys#OPENAI_API_KEY}
 * @param randomSeed               seed of the emulators' random draws (fault probabilities, pending durations); null = unseeded
 * @param webhookUrl               where the Leonardo emulator posts completion callbacks (WIRE §5): an http(s) URL, or a
 *                                 path on this server, posted to its loopback address (never to the create call's Host); "" = no callbacks (default)
 * @param webhookKey               the bearer key of those callbacks ("" = none sent)
 * @param openaiTransparent        whether the OpenAI emulator renders {@code background: transparent} (with alpha) or
 *                                 refuses it with 400 {@code invalid_value} "Transparent background is not supported for
 *                                 this model." (default false: GPT-IMAGE-2.md §1, transparency on gpt-image-2 is a preview
 *                                 that organisations without it were refused)
 * @param openaiShutdownDates      announced shutdown dates by model, reported as {@code shutdown_date} by
 *                                 {@code GET /models/{model}} (GPT-IMAGE-2.md §6); the model is still served
 *                                 ({@code router.sandbox.openai-shutdown-dates: "gpt-image-2=2027-01-15"})
 * @param lateAfter                how long after the calling instance's timeout a job created under the Leonardo
 *                                 {@code late} fault completes ({@code router.sandbox.late-after}, default 10 s)
 * @param lateTimeout              the timeout assumed for the {@code late} fault when the calling instance's is unknown
 *                                 (no or unknown {@code X-Sandbox-Provider}, or no lookup installed;
 *                                 {@code router.sandbox.late-timeout}, default 30 s, the shipped Leonardo timeout)
 * @param leonardoLimits           the Leonardo account limits the emulator enforces ({@code router.sandbox.leonardo-create-limit},
 *                                 {@code leonardo-create-window}, {@code leonardo-concurrent-jobs}, {@code leonardo-pending-jobs};
 *                                 default {@link LeonardoLimits#NONE}: no limit, as before they existed)
 * @param leonardoUnlistedModels   names or ids of Leonardo v2 models that {@code GET /api/rest/v2/models} leaves out (they
 *                                 are still served), as when Leonardo retires or renames one
 *                                 ({@code router.sandbox.leonardo-unlisted-models: "FLUX.2 Pro"}, default none)
 */
public record SandboxSettings(
        Duration pendingMin,
        Duration pendingMax,
        String faults,
        Duration openaiLatency,
        Duration slowDelay,
        BigDecimal startingBalance,
        BigDecimal creditsPerImage,
        int leonardoModerationStatus,
        Set<String> openaiAvailableModels,
        Set<String> leonardoApiKeys,
        Set<String> openaiApiKeys,
        Long randomSeed,
        String webhookUrl,
        String webhookKey,
        boolean openaiTransparent,
        Map<String, LocalDate> openaiShutdownDates,
        Duration lateAfter,
        Duration lateTimeout,
        LeonardoLimits leonardoLimits,
        Set<String> leonardoUnlistedModels) {

    /**
     * Models served by default: those active on 2026-12-05 (GPT-IMAGE-2.md §0). gpt-image-1 (shut down
     * 2026-10-23), gpt-image-1.5, gpt-image-1-mini, chatgpt-image-latest (2026-12-01) and dall-e-2/3
     * (retired 2026-05-12) are not among them, so they answer 404 {@code model_not_found}.
     */
    public static final Set<String> DEFAULT_OPENAI_MODELS = Set.of("gpt-image-2", "gpt-image-2-2026-04-21",
            "gpt-image-2.5-sunburst", "gpt-image-2.5-flare", "gpt-image-2.6-sunburst", "gpt-image-2.6-flare");

    public SandboxSettings {
        nonNegative("pending-min", pendingMin);
        nonNegative("pending-max", pendingMax);
        if (pendingMax.compareTo(pendingMin) < 0) {
            throw new IllegalArgumentException("router.sandbox.pending-max must be >= pending-min (" + pendingMin
                    + "), but was " + pendingMax);
        }
        faults = faults == null ? "" : faults.trim();
        try {
            FaultPlan.parse(faults);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("router.sandbox.faults is invalid: " + e.getMessage(), e);
        }
        nonNegative("openai-latency", openaiLatency);
        nonNegative("slow-delay", slowDelay);
        if (startingBalance == null) {
            throw new IllegalArgumentException("router.sandbox.starting-balance must be set");
        }
        if (creditsPerImage == null || creditsPerImage.signum() < 0) {
            throw new IllegalArgumentException("router.sandbox.credits-per-image must be >= 0, but was " + creditsPerImage);
        }
        if (leonardoModerationStatus < 400 || leonardoModerationStatus > 499) {
            throw new IllegalArgumentException("router.sandbox.leonardo-moderation-status must be a 4xx status (400 or 403), but was "
                    + leonardoModerationStatus);
        }
        openaiAvailableModels = openaiAvailableModels == null ? DEFAULT_OPENAI_MODELS : Set.copyOf(openaiAvailableModels);
        leonardoApiKeys = leonardoApiKeys == null ? Set.of() : Set.copyOf(leonardoApiKeys);
        for (String key : leonardoApiKeys) {
            try {
                UUID.fromString(key);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("router.sandbox.leonardo-api-keys must hold UUIDs, but one was not a UUID");
            }
        }
        openaiApiKeys = openaiApiKeys == null ? Set.of() : Set.copyOf(openaiApiKeys);
        webhookUrl = webhookUrl == null ? "" : webhookUrl.trim();
        if (!webhookUrl.isEmpty() && !webhookUrl.startsWith("/") && !webhookUrl.matches("https?://.+")) {
            throw new IllegalArgumentException("router.sandbox.webhook.url must be an http(s) URL or a path, but was " + webhookUrl);
        }
        webhookKey = webhookKey == null ? "" : webhookKey;
        openaiShutdownDates = openaiShutdownDates == null ? Map.of() : Map.copyOf(openaiShutdownDates);
        nonNegative("late-after", lateAfter);
        nonNegative("late-timeout", lateTimeout);
        leonardoLimits = leonardoLimits == null ? LeonardoLimits.NONE : leonardoLimits;
        leonardoUnlistedModels = leonardoUnlistedModels == null ? Set.of() : Set.copyOf(leonardoUnlistedModels);
    }

    /**
     * Parses {@code router.sandbox.openai-shutdown-dates}: comma-separated {@code model=YYYY-MM-DD}, "" for none.
     *
     * @throws IllegalArgumentException naming the entry that does not parse
     */
    public static Map<String, LocalDate> parseShutdownDates(String text) {
        Map<String, LocalDate> dates = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return Map.of();
        }
        for (String entry : text.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            try {
                if (eq <= 0) {
                    throw new IllegalArgumentException("no '='");
                }
                dates.put(entry.substring(0, eq).trim(), LocalDate.parse(entry.substring(eq + 1).trim()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("router.sandbox.openai-shutdown-dates must be comma-separated model=YYYY-MM-DD "
                        + "entries, but '" + entry.trim() + "' is not one", e);
            }
        }
        return Map.copyOf(dates);
    }

    /** Like the record's, without the keys (the webhook key may be a real one). */
    @Override
    public String toString() {
        return "SandboxSettings[pending=" + pendingMin + ".." + pendingMax + ", faults=" + faults + ", openaiLatency="
                + openaiLatency + ", slowDelay=" + slowDelay + ", startingBalance=" + startingBalance + ", creditsPerImage="
                + creditsPerImage + ", webhookUrl=" + webhookUrl + ", openaiTransparent=" + openaiTransparent
                + ", openaiShutdownDates=" + openaiShutdownDates + ", lateAfter=" + lateAfter + ", lateTimeout=" + lateTimeout + ", leonardoLimits=" + leonardoLimits
                + ", leonardoUnlistedModels=" + leonardoUnlistedModels + "]";
    }

    private static void nonNegative(String key, Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException("router.sandbox." + key + " must be a duration >= 0, but was " + value);
        }
    }

    /**
     * Pending 1–3 s, no faults, no OpenAI latency, slow = 5 s, 10000 credits, 8 credits/image, moderation 400, default
     * models, unseeded, transparency refused, no shutdown dates, late-after 10 s, late-timeout 30 s, no Leonardo
     * account limits, every Leonardo v2 model listed.
     */
    public static SandboxSettings defaults() {
        return new SandboxSettings(Duration.ofSeconds(1), Duration.ofSeconds(3), "", Duration.ZERO, Duration.ofSeconds(5),
                BigDecimal.valueOf(10_000), BigDecimal.valueOf(8), 400, DEFAULT_OPENAI_MODELS, Set.of(), Set.of(), null, "", "",
                false, Map.of(), Duration.ofSeconds(10), Duration.ofSeconds(30), LeonardoLimits.NONE, Set.of());
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private Duration pendingMin;
        private Duration pendingMax;
        private String faults;
        private Duration openaiLatency;
        private Duration slowDelay;
        private BigDecimal startingBalance;
        private BigDecimal creditsPerImage;
        private int leonardoModerationStatus;
        private Set<String> openaiAvailableModels;
        private Set<String> leonardoApiKeys;
        private Set<String> openaiApiKeys;
        private Long randomSeed;
        private String webhookUrl;
        private String webhookKey;
        private boolean openaiTransparent;
        private Map<String, LocalDate> openaiShutdownDates;
        private Duration lateAfter;
        private Duration lateTimeout;
        private int leonardoCreateLimit;
        private Duration leonardoCreateWindow;
        private int leonardoConcurrentJobs;
        private int leonardoPendingJobs;
        private Set<String> leonardoUnlistedModels;

        private Builder(SandboxSettings s) {
            pendingMin = s.pendingMin;
            pendingMax = s.pendingMax;
            faults = s.faults;
            openaiLatency = s.openaiLatency;
            slowDelay = s.slowDelay;
            startingBalance = s.startingBalance;
            creditsPerImage = s.creditsPerImage;
            leonardoModerationStatus = s.leonardoModerationStatus;
            openaiAvailableModels = s.openaiAvailableModels;
            leonardoApiKeys = s.leonardoApiKeys;
            openaiApiKeys = s.openaiApiKeys;
            randomSeed = s.randomSeed;
            webhookUrl = s.webhookUrl;
            webhookKey = s.webhookKey;
            openaiTransparent = s.openaiTransparent;
            openaiShutdownDates = s.openaiShutdownDates;
            lateAfter = s.lateAfter;
            lateTimeout = s.lateTimeout;
            leonardoCreateLimit = s.leonardoLimits.createLimit();
            leonardoCreateWindow = s.leonardoLimits.createWindow();
            leonardoConcurrentJobs = s.leonardoLimits.concurrentJobs();
            leonardoPendingJobs = s.leonardoLimits.pendingJobs();
            leonardoUnlistedModels = s.leonardoUnlistedModels;
        }

        /** Sets both ends of the PENDING range. */
        public Builder pending(Duration min, Duration max) {
            this.pendingMin = min;
            this.pendingMax = max;
            return this;
        }

        public Builder faults(String faults) {
            this.faults = faults;
            return this;
        }

        public Builder openaiLatency(Duration openaiLatency) {
            this.openaiLatency = openaiLatency;
            return this;
        }

        public Builder slowDelay(Duration slowDelay) {
            this.slowDelay = slowDelay;
            return this;
        }

        public Builder startingBalance(BigDecimal startingBalance) {
            this.startingBalance = startingBalance;
            return this;
        }

        public Builder creditsPerImage(BigDecimal creditsPerImage) {
            this.creditsPerImage = creditsPerImage;
            return this;
        }

        public Builder leonardoModerationStatus(int status) {
            this.leonardoModerationStatus = status;
            return this;
        }

        public Builder openaiAvailableModels(Set<String> models) {
            this.openaiAvailableModels = models;
            return this;
        }

        public Builder leonardoApiKeys(Set<String> keys) {
            this.leonardoApiKeys = keys;
            return this;
        }

        public Builder openaiApiKeys(Set<String> keys) {
            this.openaiApiKeys = keys;
            return this;
        }

        /** Seed for reproducible draws; null for an unseeded generator. */
        public Builder randomSeed(Long randomSeed) {
            this.randomSeed = randomSeed;
            return this;
        }

        /** Completion callbacks of the Leonardo emulator: URL or path ("" = off) and bearer key. */
        public Builder webhook(String url, String key) {
            this.webhookUrl = url;
            this.webhookKey = key;
            return this;
        }

        /** Whether the OpenAI emulator renders {@code background: transparent} (else 400). */
        public Builder openaiTransparent(boolean transparent) {
            this.openaiTransparent = transparent;
            return this;
        }

        /** Shutdown dates the OpenAI emulator announces in {@code GET /models/{model}}. */
        public Builder openaiShutdownDates(Map<String, LocalDate> dates) {
            this.openaiShutdownDates = dates;
            return this;
        }

        /**
         * The {@code late} fault's timing: a job completes {@code after} past the calling instance's timeout, or
         * past {@code timeout} when that is unknown.
         */
        public Builder late(Duration after, Duration timeout) {
            this.lateAfter = after;
            this.lateTimeout = timeout;
            return this;
        }

        /**
         * The Leonardo create limit: at most {@code limit} creates in any {@code window} (0 = unlimited), see
         * {@link LeonardoLimits#createLimit()}.
         */
        public Builder leonardoCreateLimit(int limit, Duration window) {
            this.leonardoCreateLimit = limit;
            this.leonardoCreateWindow = window;
            return this;
        }

        /**
         * The Leonardo concurrency limit: at most {@code concurrent} jobs processing (0 = unlimited) and at most
         * {@code pending} waiting for a slot, see {@link LeonardoLimits#concurrentJobs()}.
         */
        public Builder leonardoConcurrentJobs(int concurrent, int pending) {
            this.leonardoConcurrentJobs = concurrent;
            this.leonardoPendingJobs = pending;
            return this;
        }

        /** Leonardo v2 models (names or ids) the models list leaves out. */
        public Builder leonardoUnlistedModels(Set<String> models) {
            this.leonardoUnlistedModels = models;
            return this;
        }

        public SandboxSettings build() {
            return new SandboxSettings(pendingMin, pendingMax, faults, openaiLatency, slowDelay, startingBalance,
                    creditsPerImage, leonardoModerationStatus, openaiAvailableModels, leonardoApiKeys, openaiApiKeys, randomSeed,
                    webhookUrl, webhookKey, openaiTransparent, openaiShutdownDates, lateAfter, lateTimeout,
                    new LeonardoLimits(leonardoCreateLimit, leonardoCreateWindow, leonardoConcurrentJobs, leonardoPendingJobs),
                    leonardoUnlistedModels);
        }
    }
}
