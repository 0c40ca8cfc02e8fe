package dev.imagerouter.credits;

import dev.imagerouter.storage.DayFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/*
 * Layout: <router.storage.dir>/spend/<yyyy-mm-dd>.tsv, one file per UTC day, one line per settled
 * (paid) amount, appended and never rewritten:
 *
 *   <instant ISO-8601>\t<provider>\t<USD|CREDITS>\t<amount>\n
 *
 * Every line is written with one append (O_APPEND) of well under 4 KiB, so replicas sharing the
 * directory interleave whole lines and no lock is taken. Not forced to disk: a process crash loses
 * nothing (the bytes are in the page cache), a machine crash may lose the last lines, i.e. the
 * budget may allow a little more that day. Reading sums the lines of a day per provider and unit; a
 * line that does not parse (a torn last line after a crash, a stray edit) is skipped with a WARN,
 * and before the first append to a file that does not end with a newline one is added, so the next
 * line stays whole. Older day files are kept as a record of settled spend and never read again.
 * Appends are handed to one writer thread of the journal's own, in order: the settling thread (often
 * an HTTP client's event loop, inside the spend lock) never does file I/O. close() drains the queue;
 * a kill -9 loses at most the appends still queued (microseconds of work).
 */
/** Today's settled spend, durable across restarts in an append-only file per UTC day. Thread-safe. */
final class SpendJournal {

    private static final Logger LOG = LoggerFactory.getLogger(SpendJournal.class);
    private static final Set<String> UNITS = Set.of(DailySpend.USD, DailySpend.CREDITS);

    private final Path dir;
    private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "spend-journal");
        t.setDaemon(true);
        return t;
    });
    private final DayFiles files;
    private boolean warned;

    /** A journal in {@code dir} (created when first written). */
    SpendJournal(Path dir) {
        this.dir = dir;
        this.files = new DayFiles(dir, ".tsv");
    }

    /** The directory of the day files. */
    Path dir() {
        return dir;
    }

    /** The file of {@code day}. */
    Path file(LocalDate day) {
        return files.file(day);
    }

    /**
     * The settled spend of {@code day} per provider and unit, keyed {@code provider + "\t" + unit};
     * empty when there is no file or it cannot be read (logged).
     */
    Map<String, BigDecimal> read(LocalDate day) {
        Map<String, BigDecimal> sums = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file(day), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return sums;
        } catch (IOException | RuntimeException e) {
            LOG.warn("spend journal {} cannot be read; today's spend starts at 0: {}", file(day), e.toString());
            return sums;
        }
        int skipped = 0;
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                if (f.length != 4 || f[1].isEmpty() || !UNITS.contains(f[2])) {
                    throw new IllegalArgumentException("fields");
                }
                Instant.parse(f[0]);
                BigDecimal amount = new BigDecimal(f[3]);
                if (amount.signum() < 0) {
                    throw new IllegalArgumentException("negative");
                }
                sums.merge(f[1] + "\t" + f[2], amount, BigDecimal::add);
            } catch (RuntimeException e) {
                skipped++;
            }
        }
        if (skipped > 0) {
            LOG.warn("spend journal {}: skipped {} unreadable line(s) (e.g. torn by a crash)", file(day), skipped);
        }
        return sums;
    }

    /**
     * Queues one settled amount for {@code day}'s file and returns at once; a failed write is logged
     * (once until a write succeeds) and ignored.
     */
    void append(LocalDate day, Instant at, String provider, String unit, BigDecimal amount) {
        try {
            writer.execute(() -> write(day, at, provider, unit, amount));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            write(day, at, provider, unit, amount); // after close(): write on the caller rather than drop it
        }
    }

    private synchronized void write(LocalDate day, Instant at, String provider, String unit, BigDecimal amount) {
        byte[] line = (at + "\t" + provider + "\t" + unit + "\t" + amount.toPlainString() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        try {
            files.append(day, line);
            warned = false;
        } catch (IOException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warn("spend journal {} cannot be written; today's spend is kept in memory only: {}", file(day), e.toString());
            }
        }
    }

    /** Writes what is queued, then closes the file. */
    void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("spend journal: appends still queued after 10 s at shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            files.close();
        }
    }

}
