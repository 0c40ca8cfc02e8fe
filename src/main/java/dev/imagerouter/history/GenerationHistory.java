package dev.imagerouter.history;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.imagerouter.routing.GenerationListener;
import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.settings.HistorySettings;
import dev.imagerouter.storage.ImageNormaliser;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.LogText;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/*
 * The generation history
 * ----------------------
 * What the console's "recent generations" and GET /admin/generations show. The per-hash records of
 * the image store cannot serve: they lack the trail, client, size, quality and duration, there is one
 * per request hash (not per answer), and listing a directory of them newest first is unbounded work.
 *
 * What is listed: every request answered with images that a provider made for it, and cache hits
 * (a cache hit, a request that joined an identical generation in flight, an Idempotency-Key replay:
 * cached true, no cost, no trail) at most once per request hash per router.history.cache-hit-interval
 * (1 min; the generation itself counts). Hits are listed because the content team asks "what did the
 * pipeline get", and a pipeline served an image from the cache got it; they are thinned because a line
 * per hit costs the cheapest, most frequent answer a third to a half more CPU and writes hundreds of
 * MB a minute at cache-hit rates (bench/RESULTS.md, "Generation history"), for cards that would all
 * look alike.
 * A hit that is not listed costs one lookup in a bounded map on the answering thread. A line is
 * 0.5-1 KB, so 100,000 listed answers a day are about 70 MB a day on disk (router.history.retention
 * bounds it). Failed requests are not listed: there is no image to show, and their trails are in the
 * logs and metrics.
 *
 * The prompt is kept in the clear (cut only to keep a line under 4 KiB): the people who look at the
 * console hold the admin key, they want to see what was asked for next to what came back, and the
 * file sits under router.storage.dir beside the images and the job store, which already holds the
 * prompt of every asynchronous job. Protect that directory as you protect the images.
 *
 * Per answer, on the history's one worker thread, never on the request's path: the thumbnails (made
 * once per image, see Thumbnails), then the line (HistoryJournal), then the in-memory view, so an
 * entry is listed only with its thumbnails. A burst beyond QUEUE answers waiting for that thread is
 * not listed (one WARN). The newest router.history.max-entries entries are held in memory, ordered by
 * id (time order), and read back from the newest day files at startup, so a restart keeps them;
 * replicas sharing the directory append to the same files and each reads the others' lines at its
 * start. Day files past router.history.retention are deleted at startup and whenever a new day's file
 * is opened.
 *
 * Trail actions ("retry", "fallback") and the line's size bound: HistoryLines.
 */
/** Keeps the generation history (see the block comment). Thread-safe. */
@Singleton
public class GenerationHistory implements GenerationListener {

    /** Sub-directory of {@code router.storage.dir} holding the day files. */
    public static final String DIR = "history";
    /** The most bytes of one line, newline included (see HistoryJournal). */
    public static final int MAX_LINE_BYTES = HistoryJournal.MAX_LINE_BYTES;
    /** The client name of open sandbox mode's one anonymous client (as the API names it). */
    static final String ANONYMOUS = "anonymous";
    /** Answers that may wait for the history's thread (each holds at most MAX_PROMPT_CHARS of prompt); beyond, not listed. */
    static final int QUEUE = 4_096;
    /** The most of a prompt carried to the history's thread: a longer one cannot fit in a line anyway. */
    static final int MAX_PROMPT_CHARS = HistoryJournal.MAX_LINE_BYTES;
    /** Request hashes remembered for {@code cache-hit-interval}; past this, a hit may be listed sooner. */
    static final int RECENT_HASHES = 100_000;
    private static final Logger LOG = LoggerFactory.getLogger(GenerationHistory.class);

    /**
     * One page of the history, newest first.
     *
     * @param entries at most the limit asked for
     * @param hasMore whether older entries follow the last one
     */
    public record Page(List<HistoryEntry> entries, boolean hasMore) {
        public Page {
            entries = List.copyOf(entries);
        }
    }

    private final HistorySettings settings;
    private final JsonMapper json;
    private final HistoryLines lines;
    private final Clock clock;
    private final HistoryJournal journal;
    private final Thumbnails thumbnails;
    private final ConcurrentSkipListMap<String, HistoryEntry> entries = new ConcurrentSkipListMap<>();
    private final ThreadPoolExecutor worker;
    private final AtomicBoolean warnedFull = new AtomicBoolean();
    /** Request hashes listed within the cache-hit interval; null when every hit is listed. */
    private final Cache<String, Boolean> listedLately;
    private int size; // entries.size() (which is O(n)), written by the worker thread only after the constructor
    private final int processTag = ThreadLocalRandom.current().nextInt(0x10000); // tells replicas' ids apart
    private long lastMillis = -1; // of the last id (worker thread only)
    private int sequence; // within lastMillis (worker thread only)

    public GenerationHistory(RunningRouter runtime, ImageStore store, ImageNormaliser normaliser, JsonMapper json, Clock clock) {
        this(runtime.config().history(), runtime.config().storage().dir().resolve(DIR), store, normaliser, json, clock);
    }

    /** A history in {@code dir}; reads its newest entries back now. */
    GenerationHistory(HistorySettings settings, Path dir, ImageStore store, ImageNormaliser normaliser, JsonMapper json,
                      Clock clock) {
        this.settings = settings;
        this.json = json;
        this.lines = new HistoryLines(json);
        this.clock = clock;
        this.journal = new HistoryJournal(dir);
        this.thumbnails = new Thumbnails(store, normaliser);
        Duration hits = settings.cacheHitInterval();
        this.listedLately = hits.isZero() ? null : Caffeine.newBuilder().maximumSize(RECENT_HASHES).expireAfterWrite(hits)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "generation-history");
            t.setDaemon(true);
            return t;
        });
        load();
    }

    /** Created with the server (so the history is read and old days deleted at startup, not on a first request). */
    @EventListener
    void onStartup(ServerStartupEvent event) {
        LOG.debug("generation history: {} entries in memory", size);
    }

    /**
     * Queues the answer for its thumbnails and its line and returns at once; a cache hit of a request
     * hash listed within the cache-hit interval is dropped here.
     */
    @Override
    public void onAnswered(Answered answered) {
        GenerationService.Generation g = answered.generation();
        if (listedLately != null) {
            if (!g.cached()) {
                listedLately.put(g.requestHash(), Boolean.TRUE);
            } else if (listedLately.asMap().putIfAbsent(g.requestHash(), Boolean.TRUE) != null) {
                return;
            }
        }
        ImageRequest request = answered.request();
        String prompt = request.prompt().length() > MAX_PROMPT_CHARS ? HistoryLines.prefix(request.prompt(), MAX_PROMPT_CHARS)
                : request.prompt();
        Pending pending = new Pending(answered.requestId(), answered.client(), prompt, request.width(), request.height(),
                request.n(), request.quality(), request.outputFormat(), request.sandboxFaults(), g, answered.at(),
                answered.durationNanos());
        try {
            worker.execute(() -> {
                try {
                    record(pending);
                } catch (RuntimeException e) {
                    LOG.warn("generation history: request_id={} not listed: {}", LogText.escape(pending.requestId()),
                            LogText.escape(e.toString()));
                }
            });
        } catch (RejectedExecutionException e) {
            if (!worker.isShutdown() && warnedFull.compareAndSet(false, true)) {
                LOG.warn("generation history: {} answers are waiting for their thumbnails; further answers are not listed"
                        + " until the queue drains", QUEUE);
            }
        }
    }

    /**
     * The newest entries older than {@code before} (an entry's id; it need not be held any more), newest first.
     *
     * @param limit the most entries, at least 1
     */
    public Page page(int limit, Optional<String> before) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, but was " + limit);
        }
        NavigableMap<String, HistoryEntry> older = before.isPresent() ? entries.headMap(before.get(), false) : entries;
        List<HistoryEntry> out = new ArrayList<>(Math.min(limit, 256));
        Iterator<HistoryEntry> it = older.descendingMap().values().iterator();
        while (out.size() < limit && it.hasNext()) {
            out.add(it.next());
        }
        return new Page(out, it.hasNext());
    }

    /** Whether {@code text} is an entry id, i.e. a valid paging cursor. */
    public static boolean isId(String text) {
        return text != null && HistoryEntry.ID.matcher(text).matches();
    }

    /**
     * Answers queued for, or being turned into, their thumbnails and line now: 0 when the history has
     * written everything it was given (and makes no more files in the store until the next answer).
     */
    public int backlog() {
        return worker.getQueue().size() + worker.getActiveCount();
    }

    /** How many thumbnails this process has encoded (thumbnails reused are not counted). */
    long thumbnailsMade() {
        return thumbnails.made();
    }

    /** Lets the queued answers finish (up to 10 s), then closes the day file. */
    @PreDestroy
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("generation history: answers still queued after 10 s at shutdown are not listed");
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journal.close();
    }

    /** An answer waiting for the history's thread: what its line needs, the prompt cut to {@link #MAX_PROMPT_CHARS}. */
    private record Pending(String requestId, Optional<String> client, String prompt, int width, int height, int n,
                           String quality, String outputFormat, Optional<String> sandboxFault,
                           GenerationService.Generation generation, Instant at, long durationNanos) {
    }

    private void record(Pending a) {
        GenerationService.Generation g = a.generation();
        ImageStore.GenerationRecord record = g.generation().record();
        List<HistoryEntry.Image> images = new ArrayList<>();
        for (ImageStore.StoredImage image : record.images()) {
            images.add(new HistoryEntry.Image(image.fileName(), thumbnails.of(image.fileName(), a.width(), a.height()).orElse(null)));
        }
        Instant at = a.at();
        HistoryEntry entry = new HistoryEntry(HistoryEntry.VERSION, nextId(at), at.getEpochSecond(), a.requestId(),
                g.requestHash(), a.client().filter(c -> !c.isEmpty()).orElse(ANONYMOUS), record.provider(), record.model(),
                a.prompt(), null, a.width() + "x" + a.height(), a.quality(), a.n(), a.outputFormat(),
                g.cached() ? null : record.cost().map(c -> new HistoryEntry.Cost(c.amount(), c.unit())).orElse(null),
                g.cached(), TimeUnit.NANOSECONDS.toMillis(a.durationNanos()),
                g.cached() ? List.of() : HistoryLines.steps(g.generation().attempts()), images, a.sandboxFault().orElse(null));
        HistoryLines.Line line = lines.fit(entry);
        journal.append(LocalDate.ofInstant(at, ZoneOffset.UTC), line.bytes(), this::deleteExpired);
        add(line.entry());
    }

    private void add(HistoryEntry entry) {
        if (entries.put(entry.id(), entry) == null) {
            size++;
        }
        while (size > settings.maxEntries() && entries.pollFirstEntry() != null) {
            size--;
        }
    }

    private void load() {
        deleteExpired();
        List<String> lines = journal.newest(settings.maxEntries());
        int skipped = 0;
        for (int i = lines.size() - 1; i >= 0; i--) { // oldest first: the newest thumbnails are remembered last
            try {
                HistoryEntry entry = json.readValue(lines.get(i), HistoryEntry.class);
                for (HistoryEntry.Image image : entry.images()) {
                    if (image.thumbnail() != null) {
                        thumbnails.remember(image.file(), image.thumbnail());
                    }
                }
                add(entry);
            } catch (IOException | RuntimeException e) {
                skipped++;
            }
        }
        if (skipped > 0) {
            LOG.warn("generation history {}: skipped {} unreadable line(s) (e.g. torn by a crash)", journal.dir(), skipped);
        }
        LOG.info("generation history: {} entries read from {}", size, journal.dir());
    }

    private void deleteExpired() {
        LocalDate oldestKept = LocalDate.now(clock.withZone(ZoneOffset.UTC)).minusDays(settings.retention().toDays());
        int deleted = journal.deleteBefore(oldestKept);
        if (deleted > 0) {
            LOG.info("generation history: deleted {} day file(s) before {} (router.history.retention {})", deleted, oldestKept,
                    settings.retention());
        }
    }

    /**
     * {@code <13-digit Unix milliseconds>-<4 hex of this process><4 hex sequence>}, strictly increasing in
     * this process (the milliseconds never go back, the sequence orders one millisecond's entries): string
     * order is the order they were listed. Called on the worker thread only.
     */
    private String nextId(Instant at) {
        long millis = Math.max(at.toEpochMilli(), lastMillis);
        if (millis == lastMillis) {
            if (++sequence > 0xffff) {
                millis++;
                sequence = 0;
            }
        } else {
            sequence = 0;
        }
        lastMillis = millis;
        return String.format("%013d-%04x%04x", millis, processTag, sequence);
    }
}
