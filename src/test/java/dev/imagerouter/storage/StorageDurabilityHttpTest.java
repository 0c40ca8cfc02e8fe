package dev.imagerouter.storage;

import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.annotation.MockBean;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: by the time the answer with an image's URL arrives, the image's temporary file was
 * forced, renamed, and its directory (and the new fan-out directory's parent) forced. The seam is
 * replaced by a recording one whose directory forces are slow (100 ms, like a loaded disk), so a
 * force made after answering would be missing from the record when the answer arrives.
 */
@MicronautTest
class StorageDurabilityHttpTest extends SandboxHttpTest {

    private final RecordingFileSync sync = new RecordingFileSync(Duration.ofMillis(100));

    @MockBean(FileSync.class)
    FileSync fileSync() {
        return sync;
    }

    @Test
    void answerWithUrl_arrivesAfterTheImageFileAndItsDirectoryWereForced() {
        ApiClient.Response r = api.generate("{\"prompt\":\"" + prompt("durable image") + "\"}");
        List<RecordingFileSync.Call> atAnswer = List.copyOf(sync.calls);

        assertEquals(200, r.status(), r.text());
        String url = (String) r.data().get(0).get("url");
        String fileName = url.substring(url.lastIndexOf('/') + 1);
        Path root = Path.of(property("router.storage.dir")).toAbsolutePath().normalize();
        Path fanOut = root.resolve(fileName.substring(0, 2));

        int file = indexOf(atAnswer, c -> c.kind().equals("file") && c.path().getParent().equals(fanOut)
                && c.path().getFileName().toString().startsWith("." + fileName + "."));
        int directory = indexOf(atAnswer, c -> c.kind().equals("directory") && c.path().equals(fanOut));
        int parent = indexOf(atAnswer, c -> c.kind().equals("directory") && c.path().equals(root));
        assertTrue(file >= 0, "the image's temporary file was not forced before the answer: " + atAnswer);
        assertTrue(directory > file, "the image's directory was not forced after its file, before the answer: " + atAnswer);
        assertTrue(atAnswer.get(directory).directoryHeld().contains(fileName), "the rename came after the directory force");
        assertTrue(parent > directory, "the new fan-out directory's parent was not forced before the answer: " + atAnswer);
        assertTrue(atAnswer.get(parent).directoryHeld().contains(fanOut.getFileName().toString()));
        assertEquals(200, api.get(url).status());
    }

    private static int indexOf(List<RecordingFileSync.Call> calls, java.util.function.Predicate<RecordingFileSync.Call> p) {
        for (int i = 0; i < calls.size(); i++) {
            if (p.test(calls.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
