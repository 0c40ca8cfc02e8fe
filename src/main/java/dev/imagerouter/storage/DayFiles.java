package dev.imagerouter.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;

/*
 * The append side of the router's day journals (credits.SpendJournal: <storage.dir>/spend/<day>.tsv;
 * history.HistoryJournal: <storage.dir>/history/<day>.jsonl). One file per UTC day, kept open while
 * the day lasts; every line goes out in one append (O_APPEND), so replicas sharing the directory
 * interleave whole lines and no lock is taken. Opening a day's file that does not end with a newline
 * (a line torn by a crash mid-write) first appends one, so the next line stays whole. Nothing is
 * forced to disk: the journals say what that costs them.
 * Our own code rather than a logging appender (logback's rolling FileAppender would write lines): the
 * lines are data read back at startup, and the one-write-per-line bound and the torn-line repair are
 * the journals' contract.
 */
/** Append-only files, one per UTC day, in one directory. Not thread-safe: one writer at a time. */
public final class DayFiles {

    private final Path dir;
    private final String suffix;
    private LocalDate openDay;
    private FileChannel channel;

    /**
     * @param dir    the directory of the day files (created at the first append)
     * @param suffix the files' ending after the ISO date, e.g. {@code ".tsv"}
     */
    public DayFiles(Path dir, String suffix) {
        this.dir = dir;
        this.suffix = suffix;
    }

    /** The directory of the day files. */
    public Path dir() {
        return dir;
    }

    /** The file of {@code day}: {@code <dir>/<yyyy-mm-dd><suffix>}. */
    public Path file(LocalDate day) {
        return dir.resolve(day + suffix);
    }

    /**
     * Appends {@code line} (its newline included) to {@code day}'s file in one write, opening that file
     * first when another day's (or none) is open.
     *
     * @return whether this append opened the day's file (the first of this process, or a new day)
     * @throws IOException when the file cannot be opened or written; the file is closed, and the next
     *                     append opens it again
     */
    public boolean append(LocalDate day, byte[] line) throws IOException {
        boolean opened = channel == null || !day.equals(openDay);
        try {
            FileChannel ch = channel(day);
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        return opened;
    }

    /** Closes the open file, if any (the next append opens it again). */
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to keep: every line was written whole or not at all
            }
            channel = null;
            openDay = null;
        }
    }

    private FileChannel channel(LocalDate day) throws IOException {
        if (channel != null && day.equals(openDay)) {
            return channel;
        }
        close();
        Files.createDirectories(dir);
        Path file = file(day);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        try {
            if (endsTorn(file)) {
                ch.write(ByteBuffer.wrap(new byte[]{'\n'}));
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        openDay = day;
        return ch;
    }

    /** Whether the file is non-empty and its last byte is not a newline. */
    private static boolean endsTorn(Path file) throws IOException {
        try (FileChannel r = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = r.size();
            if (size == 0) {
                return false;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            r.read(last, size - 1);
            return last.get(0) != '\n';
        }
    }
}
