package dev.imagerouter.history;

import dev.imagerouter.storage.DayFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/*
 * Layout: <router.storage.dir>/history/<yyyy-mm-dd>.jsonl, one file per UTC day, one JSON object per
 * line, appended and never rewritten (as credits.SpendJournal does for the spend):
 *
 *   {"v":1,"id":"1764910000123-3fa9c2d1","created":1764910000,"request_id":"req_…",…}\n
 *
 * Every line goes out in one append (O_APPEND) of at most MAX_LINE_BYTES, so replicas sharing the
 * directory interleave whole lines and no lock is taken. Not forced to disk: the history is a view of
 * what was answered, not money; a machine crash may lose the last lines. Before the first append to a
 * file that does not end with a newline (a line torn by a crash) one is added, so the next line stays
 * whole; a line that does not parse is skipped when read.
 * Reading takes the newest lines only: day files newest first, each read backwards from its end in
 * 64 KiB blocks, so a startup reads about as much as it keeps in memory, whatever a day's file holds.
 * Not thread-safe: the history's one writer thread appends; reading and deleting happen at startup.
 * Our own code rather than a logging appender (logback's rolling FileAppender would write the lines):
 * the lines are data read back at startup (backwards, bounded), and the one-write-per-line bound, the
 * torn-line repair and the UTC day files are this class's contract, as in credits.SpendJournal.
 */
/** The generation history's append-only day files. Blocking file I/O; used by one thread at a time. */
final class HistoryJournal {

    /** The most bytes of one line, its newline included: lines stay whole when replicas append to one file. */
    static final int MAX_LINE_BYTES = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(HistoryJournal.class);
    private static final Pattern DAY_FILE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}\\.jsonl");
    private static final int BLOCK = 64 * 1024;

    private final Path dir;
    private final DayFiles files;
    private boolean warned;

    /** A journal in {@code dir} (created when first written). */
    HistoryJournal(Path dir) {
        this.dir = dir;
        this.files = new DayFiles(dir, ".jsonl");
    }

    Path dir() {
        return dir;
    }

    /** The file of {@code day}. */
    Path file(LocalDate day) {
        return files.file(day);
    }

    /**
     * Appends one line (without its newline, at most {@link #MAX_LINE_BYTES} - 1 bytes) to {@code day}'s
     * file. A failed write is logged (once until a write succeeds) and otherwise ignored: the entry stays
     * in memory.
     *
     * @param opened run when a new day's file was opened (e.g. to delete days past the retention)
     */
    void append(LocalDate day, byte[] line, Runnable opened) {
        if (line.length >= MAX_LINE_BYTES) {
            throw new IllegalArgumentException("a history line must be under " + MAX_LINE_BYTES + " bytes, but was " + line.length);
        }
        byte[] bytes = Arrays.copyOf(line, line.length + 1);
        bytes[line.length] = '\n';
        try {
            boolean fresh = files.append(day, bytes);
            warned = false;
            if (fresh) {
                opened.run();
            }
        } catch (IOException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warn("generation history {} cannot be written; entries are kept in memory only: {}", file(day), e.toString());
            }
        }
    }

    /**
     * The newest lines of the journal, newest first (within a file in reverse order of appending), at
     * most {@code max}. Unreadable files are logged and skipped; a day file never read is never parsed.
     */
    List<String> newest(int max) {
        List<String> lines = new ArrayList<>();
        for (Day day : days(Comparator.reverseOrder())) {
            if (lines.size() >= max) {
                break;
            }
            try {
                lines.addAll(lastLines(day.file(), max - lines.size()));
            } catch (NoSuchFileException e) {
                // deleted meanwhile by another replica's retention
            } catch (IOException | RuntimeException e) {
                LOG.warn("generation history {} cannot be read: {}", day.file(), e.toString());
            }
        }
        return lines;
    }

    /**
     * Deletes the day files before {@code oldestKept}.
     *
     * @return how many were deleted
     */
    int deleteBefore(LocalDate oldestKept) {
        int deleted = 0;
        for (Day day : days(Comparator.naturalOrder())) {
            if (!day.date().isBefore(oldestKept)) {
                break;
            }
            try {
                if (Files.deleteIfExists(day.file())) {
                    deleted++;
                }
            } catch (IOException e) {
                LOG.warn("generation history {} past its retention cannot be deleted: {}", day.file(), e.toString());
            }
        }
        return deleted;
    }

    /** Closes the open file. */
    void close() {
        files.close();
    }

    private record Day(LocalDate date, Path file) {
    }

    /** The day files, ordered by day. */
    private List<Day> days(Comparator<LocalDate> order) {
        List<Day> days = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (DAY_FILE.matcher(name).matches()) {
                    try {
                        days.add(new Day(LocalDate.parse(name.substring(0, 10)), f));
                    } catch (DateTimeParseException e) {
                        // e.g. 2026-13-45.jsonl: not one of ours
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return days;
        } catch (IOException e) {
            LOG.warn("generation history {} cannot be listed: {}", dir, e.toString());
        }
        days.sort(Comparator.comparing(Day::date, order));
        return days;
    }

    /** The last {@code max} non-empty lines of a file, last first, read backwards in blocks. */
    static List<String> lastLines(Path file, int max) throws IOException {
        List<String> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long position = ch.size();
            byte[] carry = new byte[0]; // the start of a line whose beginning lies in an earlier block
            while (position > 0 && out.size() < max) {
                int length = (int) Math.min(BLOCK, position);
                position -= length;
                ByteBuffer buffer = ByteBuffer.allocate(length + carry.length);
                buffer.limit(length);
                while (buffer.hasRemaining()) {
                    if (ch.read(buffer, position + buffer.position()) < 0) {
                        throw new IOException("file shrank while being read");
                    }
                }
                buffer.limit(buffer.capacity());
                buffer.put(carry);
                byte[] block = buffer.array();
                int end = block.length;
                for (int i = block.length - 1; i >= 0 && out.size() < max; i--) {
                    if (block[i] == '\n') {
                        if (end > i + 1) {
                            out.add(new String(block, i + 1, end - i - 1, StandardCharsets.UTF_8));
                        }
                        end = i;
                    }
                }
                // a "line" longer than any we write is garbage (not ours, or a torn write): dropped
                carry = end > 4 * MAX_LINE_BYTES ? new byte[0] : Arrays.copyOf(block, end);
            }
            if (position == 0 && carry.length > 0 && out.size() < max) {
                out.add(new String(carry, StandardCharsets.UTF_8)); // the file's first line
            }
        }
        return out;
    }

}
