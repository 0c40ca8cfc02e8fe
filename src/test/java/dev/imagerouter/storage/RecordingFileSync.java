package dev.imagerouter.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link FileSync} that does the real forcing and records each call in order, with what the
 * directory held at that moment (so a test can tell whether the rename had happened). Optionally
 * slow, like a loaded disk, so that forcing done after an answer would show as missing from the record.
 */
final class RecordingFileSync implements FileSync {

    /**
     * One call.
     *
     * @param kind        {@code file} or {@code directory}
     * @param path        the file forced (the temporary file) or the directory forced
     * @param directoryHeld the names in the forced file's directory, or in the forced directory, at the call
     */
    record Call(String kind, Path path, List<String> directoryHeld) {
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Duration directoryDelay;

    RecordingFileSync(Duration directoryDelay) {
        this.directoryDelay = directoryDelay;
    }

    @Override
    public void force(FileChannel channel, Path file) throws IOException {
        FileSync.DEFAULT.force(channel, file);
        calls.add(new Call("file", file, names(file.getParent())));
    }

    @Override
    public void forceDirectory(Path directory) throws IOException {
        if (!directoryDelay.isZero()) {
            LockSupport.parkNanos(directoryDelay.toNanos()); // a slow disk, not a wait for something
        }
        FileSync.DEFAULT.forceDirectory(directory);
        calls.add(new Call("directory", directory, names(directory)));
    }

    /** The calls that concern {@code directory} or files in it. */
    List<Call> callsIn(Path directory) {
        return calls.stream().filter(c -> c.kind().equals("directory") ? c.path().equals(directory)
                : c.path().getParent().equals(directory)).toList();
    }

    private static List<String> names(Path directory) throws IOException {
        try (var s = Files.list(directory)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
