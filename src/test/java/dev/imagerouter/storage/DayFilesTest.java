package dev.imagerouter.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DayFilesTest {

    private static final LocalDate DAY = LocalDate.of(2026, 12, 6);

    @TempDir
    Path tmp;

    private static byte[] line(String s) {
        return (s + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void appendsLines_toTheDaysFile_andSaysWhenItOpenedOne() throws IOException {
        DayFiles files = new DayFiles(tmp.resolve("journal"), ".tsv");
        assertTrue(files.append(DAY, line("a")), "the first append opens the file (and creates the directory)");
        assertFalse(files.append(DAY, line("b")), "the same day's file stays open");
        assertTrue(files.append(DAY.plusDays(1), line("c")), "a new day opens its own file");
        files.close();
        assertEquals(tmp.resolve("journal/2026-12-06.tsv"), files.file(DAY));
        assertEquals(List.of("a", "b"), Files.readAllLines(files.file(DAY)));
        assertEquals(List.of("c"), Files.readAllLines(files.file(DAY.plusDays(1))));
    }

    @Test
    void aTornLastLine_isEndedBeforeTheNextLine() throws IOException {
        DayFiles files = new DayFiles(tmp, ".jsonl");
        Files.writeString(files.file(DAY), "whole\ntorn by a cra");
        files.append(DAY, line("next"));
        files.close();
        assertEquals(List.of("whole", "torn by a cra", "next"), Files.readAllLines(files.file(DAY)),
                "the next line stays whole; the torn one is left for the reader to skip");
    }

    @Test
    void aFailedAppend_throws_andTheNextOneOpensTheFileAgain() throws IOException {
        Path dir = tmp.resolve("journal");
        DayFiles files = new DayFiles(dir, ".tsv");
        Files.writeString(tmp.resolve("journal"), "a file where the directory should be");
        assertThrows(IOException.class, () -> files.append(DAY, line("lost")));
        Files.delete(dir);
        assertTrue(files.append(DAY, line("kept")), "opened again after the failure");
        files.close();
        assertEquals(List.of("kept"), Files.readAllLines(files.file(DAY)));
    }
}
