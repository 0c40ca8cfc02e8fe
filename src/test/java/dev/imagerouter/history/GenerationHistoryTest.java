package dev.imagerouter.history;

import dev.imagerouter.cache.CachedGeneration;
import dev.imagerouter.routing.GenerationListener;
import dev.imagerouter.routing.GenerationService;
import dev.imagerouter.settings.HistorySettings;
import dev.imagerouter.settings.StorageSettings;
import dev.imagerouter.storage.ImageNormaliser;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.testing.MutableClock;
import dev.imagerouter.testing.RouterTestSupport;
import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderResult;
import io.micronaut.core.type.Argument;
import io.micronaut.serde.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generation history on its own (no server): day files, restart, paging, retention, the 4 KiB
 * line bound, trail actions and thumbnails made once. Time comes from a {@link MutableClock}.
 */
class GenerationHistoryTest {

    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
    private static final ObjectMapper JSON = ObjectMapper.getDefault();

    private final ImageNormaliser normaliser = new ImageNormaliser();
    private MutableClock clock;
    private Path storageDir;
    private Path dir;
    private ImageStore store;
    private ImageStore.StoredImage image;

    @BeforeEach
    void setUp() throws IOException {
        clock = new MutableClock(T0);
        storageDir = RouterTestSupport.tempDir("history-store");
        dir = storageDir.resolve(GenerationHistory.DIR);
        store = new ImageStore(new StorageSettings(storageDir, ""));
        image = store.put(noisyPng(1024, 768, 1), "png");
    }

    /** A history that lists every cache hit. */
    private GenerationHistory history(int maxEntries) {
        return history(maxEntries, Duration.ZERO);
    }

    private GenerationHistory history(int maxEntries, Duration cacheHitInterval) {
        return new GenerationHistory(new HistorySettings(Duration.ofDays(30), maxEntries, cacheHitInterval), dir, store, normaliser,
                JSON, clock);
    }

    private static byte[] noisyPng(int width, int height, long seed) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, ((x * 255 / width) << 16) | ((y * 255 / height) << 8) | random.nextInt(64));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static String hash(int i) {
        return String.format("%064x", i);
    }

    private GenerationListener.Answered answered(String prompt, int i, boolean cached, List<Attempt> attempts,
                                                 ImageStore.StoredImage... images) {
        ImageRequest request = new ImageRequest(prompt, Optional.empty(), 1024, 768, images.length, "high", Optional.empty(),
                Optional.empty(), "png", Optional.of("leonardo=429"));
        ImageStore.GenerationRecord record = new ImageStore.GenerationRecord(hash(i), List.of(images), "openai-gpt-image-2",
                "gpt-image-2", clock.instant(), false, Optional.of(new ProviderResult.Cost(new BigDecimal("0.053"), "USD")));
        return new GenerationListener.Answered("req_" + i, Optional.of("blog"), request,
                new GenerationService.Generation(new CachedGeneration(record, attempts), cached, hash(i)), clock.instant(),
                Duration.ofMillis(1234).toNanos());
    }

    private static final List<Attempt> FALLBACK = List.of(
            new Attempt("leonardo-phoenix", Attempt.FAILURE, FailureKind.RATE_LIMITED, 429, 12, "rate limited"),
            new Attempt("openai-gpt-image-2", Attempt.SUCCESS, null, null, 900, null));

    @Test
    void answers_areWrittenAsLinesOfTheirUtcDay_andReadBackNewestFirstAfterARestart() throws IOException {
        GenerationHistory first = history(100);
        for (int i = 0; i < 5; i++) {
            first.onAnswered(answered("a lighthouse " + i, i, false, FALLBACK, image));
            clock.advance(Duration.ofSeconds(1));
        }
        first.close(); // drains the queue

        List<String> lines = Files.readAllLines(dir.resolve("2026-12-06.jsonl"));
        assertEquals(5, lines.size());
        Map<String, Object> line = JSON.readValue(lines.get(0), Argument.mapOf(String.class, Object.class));
        assertEquals(1, line.get("v"));
        assertEquals("blog", line.get("client"));
        assertEquals("a lighthouse 0", line.get("prompt"));
        assertEquals("1024x768", line.get("size"));
        assertEquals("high", line.get("quality"));
        assertEquals("png", line.get("output_format"));
        assertEquals(1234, ((Number) line.get("duration_ms")).intValue());
        assertEquals("leonardo=429", line.get("sandbox_fault"));
        assertEquals(Map.of("amount", 0.053, "unit", "USD"), line.get("cost"));

        GenerationHistory second = history(100);
        GenerationHistory.Page page = second.page(10, Optional.empty());
        assertEquals(List.of("a lighthouse 4", "a lighthouse 3", "a lighthouse 2", "a lighthouse 1", "a lighthouse 0"),
                page.entries().stream().map(HistoryEntry::prompt).toList());
        assertFalse(page.hasMore());
        HistoryEntry newest = page.entries().get(0);
        assertEquals(hash(4), newest.requestHash());
        assertEquals("req_4", newest.requestId());
        assertEquals(image.fileName(), newest.images().get(0).file());
        assertNotNull(newest.images().get(0).thumbnail());
        assertEquals(List.of("leonardo-phoenix → RATE_LIMITED → fallback", "openai-gpt-image-2 → success"),
                newest.attempts().stream().map(s -> s.provider() + " → " + (s.action() == null ? s.outcome()
                        : s.failureKind() + " → " + s.action())).toList());
        second.close();
    }

    @Test
    void pages_areBoundedByTheLimit_andContinueFromTheCursor_overTheNewestMaxEntries() {
        GenerationHistory history = history(7);
        for (int i = 0; i < 10; i++) {
            history.onAnswered(answered("p" + i, i, false, FALLBACK, image));
            clock.advance(Duration.ofMillis(1));
        }
        history.close();

        GenerationHistory.Page one = history.page(3, Optional.empty());
        assertEquals(List.of("p9", "p8", "p7"), one.entries().stream().map(HistoryEntry::prompt).toList());
        assertTrue(one.hasMore());
        GenerationHistory.Page two = history.page(3, Optional.of(one.entries().get(2).id()));
        assertEquals(List.of("p6", "p5", "p4"), two.entries().stream().map(HistoryEntry::prompt).toList());
        GenerationHistory.Page three = history.page(3, Optional.of(two.entries().get(2).id()));
        assertEquals(List.of("p3"), three.entries().stream().map(HistoryEntry::prompt).toList(),
                "only the newest 7 are held");
        assertFalse(three.hasMore());
        // a cursor that is no longer held still pages by time
        assertEquals(List.of("p8", "p7"), history.page(2, Optional.of(String.format("%013d-00000000", T0.toEpochMilli() + 9)))
                .entries().stream().map(HistoryEntry::prompt).toList());
        assertEquals(0, history.page(5, Optional.of(String.format("%013d-00000000", T0.toEpochMilli()))).entries().size());
    }

    @Test
    void aRestart_readsOnlyTheNewestMaxEntries_acrossDays() {
        GenerationHistory first = history(100);
        for (int day = 0; day < 3; day++) {
            for (int i = 0; i < 4; i++) {
                first.onAnswered(answered("d" + day + "-" + i, day * 10 + i, false, FALLBACK, image));
                clock.advance(Duration.ofMinutes(1));
            }
            clock.advance(Duration.ofDays(1));
        }
        first.close();

        GenerationHistory second = history(6);
        List<String> prompts = second.page(100, Optional.empty()).entries().stream().map(HistoryEntry::prompt).toList();
        assertEquals(List.of("d2-3", "d2-2", "d2-1", "d2-0", "d1-3", "d1-2"), prompts);
        second.close();
    }

    @Test
    void dayFilesPastTheRetention_areDeletedAtStartup_andWhenANewDayOpens() throws IOException {
        Files.createDirectories(dir);
        for (String day : List.of("2026-10-01", "2026-11-05", "2026-11-06", "2026-12-01")) {
            Files.writeString(dir.resolve(day + ".jsonl"), "");
        }
        Files.writeString(dir.resolve("notes.txt"), "not ours");

        GenerationHistory history = history(100); // today 2026-12-06, 30 days kept: from 2026-11-06 on
        assertFalse(Files.exists(dir.resolve("2026-10-01.jsonl")));
        assertFalse(Files.exists(dir.resolve("2026-11-05.jsonl")));
        assertTrue(Files.exists(dir.resolve("2026-11-06.jsonl")));
        assertTrue(Files.exists(dir.resolve("notes.txt")));

        clock.advance(Duration.ofDays(1)); // 2026-12-07: 2026-11-06 is past the retention now
        history.onAnswered(answered("a new day", 1, false, FALLBACK, image));
        history.close();
        assertTrue(Files.exists(dir.resolve("2026-12-07.jsonl")));
        assertFalse(Files.exists(dir.resolve("2026-11-06.jsonl")));
        assertTrue(Files.exists(dir.resolve("2026-12-01.jsonl")));
    }

    @Test
    void aPromptOfOpenAisMaximumLength_isCutSoTheLineStaysUnder4KiB_andTheEntrySaysSo() throws IOException {
        String prompt = "ä\"\\\n🦊 ".repeat(32_000 / 7);
        GenerationHistory history = history(100);
        history.onAnswered(answered(prompt, 1, false, FALLBACK, image));
        history.close();

        List<String> lines = Files.readAllLines(dir.resolve("2026-12-06.jsonl"), StandardCharsets.UTF_8);
        assertEquals(1, lines.size());
        int bytes = lines.get(0).getBytes(StandardCharsets.UTF_8).length + 1;
        assertTrue(bytes <= GenerationHistory.MAX_LINE_BYTES, bytes + " bytes");
        assertTrue(bytes > GenerationHistory.MAX_LINE_BYTES - 200, "cut no more than needed: " + bytes);
        HistoryEntry entry = history.page(1, Optional.empty()).entries().get(0);
        assertEquals(Boolean.TRUE, entry.promptTruncated());
        assertTrue(prompt.startsWith(entry.prompt()) && !entry.prompt().isEmpty());
        assertFalse(Character.isHighSurrogate(entry.prompt().charAt(entry.prompt().length() - 1)), "no half of a surrogate pair");
        assertEquals(2, entry.attempts().size());
    }

    @Test
    void tornAndForeignLines_areSkipped_andTheNextLineStaysWhole() throws IOException {
        GenerationHistory first = history(100);
        first.onAnswered(answered("before the crash", 1, false, FALLBACK, image));
        first.close();
        Path file = dir.resolve("2026-12-06.jsonl");
        Files.writeString(file, "not json\n{\"v\":1,\"id\":\"17649", StandardOpenOption.APPEND); // a crash mid-line

        GenerationHistory second = history(100);
        assertEquals(List.of("before the crash"), second.page(10, Optional.empty()).entries().stream().map(HistoryEntry::prompt).toList());
        clock.advance(Duration.ofSeconds(1));
        second.onAnswered(answered("after the restart", 2, false, FALLBACK, image));
        second.close();

        GenerationHistory third = history(100);
        assertEquals(List.of("after the restart", "before the crash"),
                third.page(10, Optional.empty()).entries().stream().map(HistoryEntry::prompt).toList());
        third.close();
    }

    @Test
    void lastLines_readsAFileBackwardsAcrossBlocks() throws IOException {
        Path file = RouterTestSupport.tempDir("lines").resolve("x.jsonl");
        List<String> written = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3000; i++) { // ~ 170 KiB: three blocks, lines cut by block edges
            String line = "line " + i + " " + "x".repeat(i % 97);
            written.add(line);
            text.append(line).append('\n');
        }
        Files.writeString(file, text);

        List<String> all = HistoryJournal.lastLines(file, 10_000);
        assertEquals(3000, all.size());
        for (int i = 0; i < 3000; i++) {
            assertEquals(written.get(2999 - i), all.get(i));
        }
        assertEquals(List.of(written.get(2999), written.get(2998)), HistoryJournal.lastLines(file, 2));
    }

    @Test
    void trailActions_areReadOffTheTrail_retryWhenTheSameProviderFollows_elseFallback() {
        List<HistoryEntry.Step> steps = HistoryLines.steps(List.of(
                new Attempt("leonardo-phoenix", Attempt.SKIPPED, FailureKind.CIRCUIT_OPEN, null, 0, "circuit breaker OPEN"),
                new Attempt("leonardo-v2", Attempt.FAILURE, FailureKind.SERVER_ERROR, 500, 30, "x".repeat(500)),
                new Attempt("leonardo-v2", Attempt.FAILURE, FailureKind.SERVER_ERROR, 502, 31, "bad gateway"),
                new Attempt("openai-gpt-image-2", Attempt.SUCCESS, null, null, 800, null)));

        assertEquals(List.of("fallback", "retry", "fallback"), steps.subList(0, 3).stream().map(HistoryEntry.Step::action).toList());
        assertNull(steps.get(3).action());
        assertEquals("skipped", steps.get(0).outcome());
        assertEquals("CIRCUIT_OPEN", steps.get(0).failureKind());
        assertEquals(HistoryLines.MAX_REASON + 1, steps.get(1).reason().length(), "cut, with an ellipsis");
    }

    @Test
    void aThumbnailIsMadeOncePerImage_smallerThanTheImage_256pxOnTheLongSide() throws IOException {
        GenerationHistory history = history(100);
        history.onAnswered(answered("first", 1, false, FALLBACK, image));
        history.onAnswered(answered("the same image again, cached", 1, true, List.of(), image));
        history.close();

        assertEquals(1, history.thumbnailsMade());
        List<HistoryEntry> entries = history.page(10, Optional.empty()).entries();
        String thumbnail = entries.get(0).images().get(0).thumbnail();
        assertEquals(thumbnail, entries.get(1).images().get(0).thumbnail());
        assertTrue(entries.get(0).cached());
        assertNull(entries.get(0).cost(), "a cached answer cost nothing");
        assertTrue(entries.get(0).attempts().isEmpty());
        Path file = store.localFile(thumbnail.substring(0, 64), thumbnail.substring(65)).orElseThrow();
        byte[] bytes = Files.readAllBytes(file);
        assertTrue(bytes.length * 10L < image.size(), bytes.length + " bytes against " + image.size());
        assertEquals(List.of(256, 192), List.of(RouterTestSupport.imageSize(bytes)[0], RouterTestSupport.imageSize(bytes)[1]));

        GenerationHistory restarted = history(100); // remembers the thumbnail from its history: none made
        restarted.onAnswered(answered("after a restart", 1, true, List.of(), image));
        restarted.close();
        assertEquals(0, restarted.thumbnailsMade());
        assertEquals(thumbnail, restarted.page(1, Optional.empty()).entries().get(0).images().get(0).thumbnail());
    }

    @Test
    void cacheHits_areListedAtMostOncePerRequestHashPerInterval_theGenerationCounting() {
        GenerationHistory history = history(100, Duration.ofMinutes(1));
        history.onAnswered(answered("generated", 1, false, FALLBACK, image));
        clock.advance(Duration.ofSeconds(30));
        history.onAnswered(answered("hit 30 s after the generation", 1, true, List.of(), image));
        history.onAnswered(answered("a hit of another hash", 2, true, List.of(), image));
        clock.advance(Duration.ofSeconds(31));
        history.onAnswered(answered("hit 61 s after the generation", 1, true, List.of(), image));
        clock.advance(Duration.ofSeconds(59));
        history.onAnswered(answered("hit 59 s after the last listed hit", 1, true, List.of(), image));
        clock.advance(Duration.ofSeconds(1));
        history.onAnswered(answered("a generation is always listed", 1, false, FALLBACK, image));
        history.close();

        assertEquals(List.of("a generation is always listed", "hit 61 s after the generation", "a hit of another hash", "generated"),
                history.page(10, Optional.empty()).entries().stream().map(HistoryEntry::prompt).toList());
    }

    @Test
    void anImageMissingFromTheStore_isListedWithoutAThumbnail() {
        ImageStore.StoredImage gone = new ImageStore.StoredImage("ab".repeat(32), "png", 10);
        GenerationHistory history = history(100);
        history.onAnswered(answered("gone", 1, false, FALLBACK, gone));
        history.close();

        HistoryEntry entry = history.page(1, Optional.empty()).entries().get(0);
        assertNull(entry.images().get(0).thumbnail());
        assertEquals(0, history.thumbnailsMade());
    }
}
