package dev.imagerouter.sandbox;

// Over 300 lines because every counter of /sandbox/stats has its recording and its reading here; they change together.

import jakarta.inject.Singleton;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the emulators saw, for tests and benchmarks. Every call is counted, whether it was answered
 * with success, an error, a fault or a 404 because the sandbox was off.
 *
 * <p>Thread-safe ({@link LongAdder}s, concurrent maps, bounded concurrent deques). The "recent"
 * lists keep the last {@value #RECENT} entries; the create timestamps keep the last
 * {@value #TIMESTAMPS} per emulator. {@link #reset()} clears everything; it is not atomic with
 * respect to concurrent calls, so reset between tests, not during one.
 *
 * <p><b>Concurrent Leonardo jobs.</b> {@link #leonardoMaxConcurrentJobs()} is the most Leonardo jobs
 * PENDING at the same time, v1 and v2 jobs together (one account). A job counts from its accepted create until its PENDING phase ends (a job
 * that never completes, the {@code timeout} fault, until the job store forgets it). Concurrency only
 * rises at a create, so counting the still-pending jobs at each create and keeping the maximum is
 * exact. Only jobs created since the last {@link #reset()} count: a reset forgets the jobs still
 * pending, so that one test's left-over jobs never show in the next. A job waiting for a processing slot
 * ({@link LeonardoLimits#concurrentJobs()}) is PENDING too, so it counts from its create, not from its slot.
 *
 * <p><b>Processing Leonardo jobs.</b> {@link #leonardoMaxProcessingJobs()} is the most Leonardo jobs processing
 * (holding one of the account's slots, see {@link LeonardoSlots}) at the same instant, as the slots count them when
 * a job is admitted: every job holding a slot then counts, also one created before the last reset (it really holds
 * the slot); a configure frees every slot. Without a concurrency limit every job processes from its create on.
 *
 * <p><b>Repeated Leonardo creates.</b> {@link #leonardoRepeatedCreates()} counts the jobs created (accepted creates)
 * whose prompt equals that of a job created earlier since the last reset ({@link SeenPrompts}, bounded). Refused
 * creates are neither counted nor remembered: resending a refused create makes no second job.
 */
@Singleton
public class SandboxStats {

    /** How many request bodies / header values are kept. */
    public static final int RECENT = 100;
    /** How many create timestamps are kept per emulator. */
    public static final int TIMESTAMPS = 10_000;

    private final LongAdder leonardoCreates = new LongAdder();
    private final LongAdder leonardoV2Creates = new LongAdder();
    private final LongAdder leonardoV2ModelLists = new LongAdder();
    private final LongAdder leonardoAccepted = new LongAdder();
    private final LongAdder leonardoRateLimited = new LongAdder();
    private final LongAdder leonardoQueueFull = new LongAdder();
    private final LongAdder leonardoRepeated = new LongAdder();
    private final SeenPrompts leonardoPrompts = new SeenPrompts();
    private final AtomicInteger maxProcessingJobs = new AtomicInteger();
    private final LongAdder leonardoPolls = new LongAdder();
    private final Map<String, LongAdder> leonardoPollsById = new ConcurrentHashMap<>();
    private final LongAdder leonardoMeCalls = new LongAdder();
    private final LongAdder leonardoCdnFetches = new LongAdder();
    private final LongAdder openAiGenerates = new LongAdder();
    private final LongAdder openAiModelLookups = new LongAdder();
    private final LongAdder leonardoWebhooks = new LongAdder();
    private final Recent<String> leonardoWebhookIds = new Recent<>(RECENT);
    private final Recent<Integer> leonardoWebhookAnswers = new Recent<>(RECENT);
    private final Map<String, LongAdder> faults = new ConcurrentHashMap<>();
    private final Recent<String> leonardoCreateBodies = new Recent<>(RECENT);
    private final Recent<String> openAiGenerateBodies = new Recent<>(RECENT);
    private final Recent<String> providerHeaders = new Recent<>(RECENT);
    private final Recent<String> openAiModels = new Recent<>(RECENT);
    private final Map<EmulatorType, Recent<Long>> createTimes = new EnumMap<>(Map.of(
            EmulatorType.LEONARDO, new Recent<>(TIMESTAMPS), EmulatorType.OPENAI, new Recent<>(TIMESTAMPS)));
    private final Recent<Long> leonardoMeTimes = new Recent<>(RECENT);
    private final Recent<Long> openAiModelLookupTimes = new Recent<>(RECENT);
    /** Origin of the offsets in {@link #pendingEnds}, so that offsets compare as plain longs. */
    private final long origin = System.nanoTime();
    /** Ends of the PENDING phases (nanoTime offsets from {@link #origin}) of jobs maybe still pending; guarded by itself. */
    private final PriorityQueue<Long> pendingEnds = new PriorityQueue<>();
    /** Guarded by {@link #pendingEnds}. */
    private int maxConcurrentJobs;

    // ---- recording (called by the emulators) ----

    void leonardoCreate(String body, String providerHeader) {
        leonardoCreates.increment();
        createTimes.get(EmulatorType.LEONARDO).add(System.nanoTime());
        leonardoCreateBodies.add(body == null ? "" : body);
        provider(providerHeader);
    }

    /** The create being counted by {@link #leonardoCreate} came to the v2 API ({@code POST /api/rest/v2/generations}). */
    void leonardoV2Create() {
        leonardoV2Creates.increment();
    }

    /** A call of the v2 models list ({@code GET /api/rest/v2/models}). */
    void leonardoV2ModelList() {
        leonardoV2ModelLists.increment();
    }

    /**
     * A Leonardo job was created and charged (its create was accepted).
     *
     * @param pendingEndNanos   {@link System#nanoTime()} when its PENDING phase ends (waiting for a slot included)
     * @param processingAtStart how many jobs process when it starts processing, itself included
     * @param prompt            its prompt
     */
    void leonardoAccepted(long pendingEndNanos, int processingAtStart, String prompt) {
        leonardoAccepted.increment();
        maxProcessingJobs.accumulateAndGet(processingAtStart, Math::max);
        if (leonardoPrompts.add(prompt)) {
            leonardoRepeated.increment();
        }
        long now = System.nanoTime() - origin;
        synchronized (pendingEnds) {
            while (!pendingEnds.isEmpty() && pendingEnds.peek() <= now) {
                pendingEnds.poll();
            }
            pendingEnds.add(pendingEndNanos - origin);
            maxConcurrentJobs = Math.max(maxConcurrentJobs, pendingEnds.size());
        }
    }

    /** A Leonardo create was refused by the account's create limit ({@link LeonardoLimits#createLimit()}). */
    void leonardoRateLimited() {
        leonardoRateLimited.increment();
    }

    /** A Leonardo create was refused because {@link LeonardoLimits#pendingJobs()} jobs already waited for a slot. */
    void leonardoQueueFull() {
        leonardoQueueFull.increment();
    }

    void leonardoPoll(String generationId) {
        leonardoPolls.increment();
        leonardoPollsById.computeIfAbsent(generationId, k -> new LongAdder()).increment();
    }

    void leonardoWebhookSent(String generationId) {
        leonardoWebhooks.increment();
        leonardoWebhookIds.add(generationId);
    }

    void leonardoWebhookAnswered(int status) {
        leonardoWebhookAnswers.add(status);
    }

    void leonardoMe() {
        leonardoMeCalls.increment();
        leonardoMeTimes.add(System.nanoTime());
    }

    void leonardoCdnFetch() {
        leonardoCdnFetches.increment();
    }

    void openAiGenerate(String body, String model, String providerHeader) {
        openAiGenerates.increment();
        createTimes.get(EmulatorType.OPENAI).add(System.nanoTime());
        openAiGenerateBodies.add(body == null ? "" : body);
        if (model != null) {
            openAiModels.add(model);
        }
        provider(providerHeader);
    }

    void openAiModelLookup(String model) {
        openAiModelLookups.increment();
        openAiModelLookupTimes.add(System.nanoTime());
        openAiModels.add(model);
    }

    void faultInjected(EmulatorType type, SandboxFault fault) {
        faults.computeIfAbsent(type.wireName() + "=" + fault.wireName(), k -> new LongAdder()).increment();
    }

    private void provider(String providerHeader) {
        if (providerHeader != null) {
            providerHeaders.add(providerHeader);
        }
    }

    // ---- reading ----

    /** Calls of Leonardo {@code POST /generations}, v1 and v2, whatever the answer. */
    public long leonardoCreates() {
        return leonardoCreates.sum();
    }

    /** Calls of Leonardo v2 {@code POST /api/rest/v2/generations}, whatever the answer (also counted in {@link #leonardoCreates()}). */
    public long leonardoV2Creates() {
        return leonardoV2Creates.sum();
    }

    /** Calls of Leonardo v2 {@code GET /api/rest/v2/models}, whatever the answer. */
    public long leonardoV2ModelLists() {
        return leonardoV2ModelLists.sum();
    }

    /** Leonardo creates answered 200 (a job was created and charged). */
    public long leonardoCreatesAccepted() {
        return leonardoAccepted.sum();
    }

    /**
     * The most Leonardo jobs that were PENDING at the same time since the last {@link #reset()} (see the class
     * comment); 0 before the first accepted create.
     */
    public int leonardoMaxConcurrentJobs() {
        synchronized (pendingEnds) {
            return maxConcurrentJobs;
        }
    }

    /** Leonardo creates answered 429 by the account's create limit; they created nothing. */
    public long leonardoRateLimitedCreates() {
        return leonardoRateLimited.sum();
    }

    /** Leonardo creates answered 429 because the account's pending-job bound was reached; they created nothing. */
    public long leonardoQueueFullCreates() {
        return leonardoQueueFull.sum();
    }

    /** Jobs created whose prompt equals that of a job created earlier since the last {@link #reset()} (class comment). */
    public long leonardoRepeatedCreates() {
        return leonardoRepeated.sum();
    }

    /**
     * The most Leonardo jobs processing at the same instant since the last {@link #reset()} (see the class comment);
     * 0 before the first accepted create.
     */
    public int leonardoMaxProcessingJobs() {
        return maxProcessingJobs.get();
    }

    /** Calls of Leonardo {@code GET /generations/{id}}, whatever the answer. */
    public long leonardoPolls() {
        return leonardoPolls.sum();
    }

    /** Calls of Leonardo {@code GET /generations/{id}} for one id. */
    public long leonardoPolls(String generationId) {
        LongAdder a = leonardoPollsById.get(generationId);
        return a == null ? 0 : a.sum();
    }

    /** Completion callbacks the Leonardo emulator posted (WIRE §5). */
    public long leonardoWebhooks() {
        return leonardoWebhooks.sum();
    }

    /** Generation ids of the last callbacks posted, oldest first. */
    public List<String> leonardoWebhookIds() {
        return leonardoWebhookIds.snapshot();
    }

    /** HTTP statuses the callbacks were answered with, oldest first; -1 when no answer came (connection failed). */
    public List<Integer> leonardoWebhookAnswers() {
        return leonardoWebhookAnswers.snapshot();
    }

    /** Calls of Leonardo {@code GET /me}. */
    public long leonardoMeCalls() {
        return leonardoMeCalls.sum();
    }

    /** Fetches of CDN image URLs. */
    public long leonardoCdnFetches() {
        return leonardoCdnFetches.sum();
    }

    /** Calls of OpenAI {@code POST /images/generations}, whatever the answer. */
    public long openAiGenerates() {
        return openAiGenerates.sum();
    }

    /** Calls of OpenAI {@code GET /models/{model}}. */
    public long openAiModelLookups() {
        return openAiModelLookups.sum();
    }

    /** How often {@code fault} was injected by the emulator of {@code type}. */
    public long faultsInjected(EmulatorType type, SandboxFault fault) {
        LongAdder a = faults.get(type.wireName() + "=" + fault.wireName());
        return a == null ? 0 : a.sum();
    }

    /** The last raw JSON bodies sent to Leonardo {@code POST /generations} (v1 and v2), oldest first. */
    public List<String> leonardoCreateBodies() {
        return leonardoCreateBodies.snapshot();
    }

    /** The last raw JSON bodies sent to OpenAI {@code POST /images/generations}, oldest first. */
    public List<String> openAiGenerateBodies() {
        return openAiGenerateBodies.snapshot();
    }

    /** The last {@code X-Sandbox-Provider} values seen on create/generate calls, oldest first. */
    public List<String> providerHeaders() {
        return providerHeaders.snapshot();
    }

    /** The last OpenAI model ids requested (generations and lookups), oldest first. */
    public List<String> openAiModels() {
        return openAiModels.snapshot();
    }

    /** {@link System#nanoTime()} of the last create/generate calls of one emulator, oldest first. */
    public List<Long> createTimestamps(EmulatorType type) {
        return createTimes.get(type).snapshot();
    }

    /** {@link System#nanoTime()} of the last Leonardo {@code GET /me} calls (credit balance checks), oldest first. */
    public List<Long> leonardoMeTimestamps() {
        return leonardoMeTimes.snapshot();
    }

    /** {@link System#nanoTime()} of the last OpenAI {@code GET /models/{model}} calls (model checks), oldest first. */
    public List<Long> openAiModelLookupTimestamps() {
        return openAiModelLookupTimes.snapshot();
    }

    /** Clears every counter and list. */
    public void reset() {
        for (LongAdder a : List.of(leonardoCreates, leonardoV2Creates, leonardoV2ModelLists, leonardoAccepted, leonardoRateLimited, leonardoQueueFull, leonardoRepeated,
                leonardoPolls, leonardoMeCalls, leonardoCdnFetches, openAiGenerates, openAiModelLookups, leonardoWebhooks)) {
            a.reset();
        }
        leonardoPrompts.clear();
        maxProcessingJobs.set(0);
        leonardoPollsById.clear();
        faults.clear();
        leonardoCreateBodies.clear();
        openAiGenerateBodies.clear();
        providerHeaders.clear();
        openAiModels.clear();
        leonardoWebhookIds.clear();
        leonardoWebhookAnswers.clear();
        createTimes.values().forEach(Recent::clear);
        leonardoMeTimes.clear();
        openAiModelLookupTimes.clear();
        synchronized (pendingEnds) {
            pendingEnds.clear();
            maxConcurrentJobs = 0;
        }
    }

    /** A bounded, concurrent, insertion-ordered list of recent values. */
    private static final class Recent<T> {
        private final int capacity;
        private final ConcurrentLinkedDeque<T> items = new ConcurrentLinkedDeque<>();
        private final AtomicInteger size = new AtomicInteger();

        Recent(int capacity) {
            this.capacity = capacity;
        }

        void add(T item) {
            items.addLast(item);
            if (size.incrementAndGet() > capacity && items.pollFirst() != null) {
                size.decrementAndGet();
            }
        }

        List<T> snapshot() {
            return List.copyOf(items);
        }

        void clear() {
            items.clear();
            size.set(0);
        }
    }
}
