package dev.imagerouter.history;

import dev.imagerouter.vocabulary.Attempt;
import io.micronaut.json.JsonMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/*
 * From an answer's trail and entry to its line. Trail actions are read off the trail itself, which
 * the walk builds in order: a failed attempt followed by another attempt of the same provider was
 * retried; any other failed or skipped attempt was left for the next provider (fallback). An answered
 * walk never ended in FAIL. A line stays under HistoryJournal.MAX_LINE_BYTES: the prompt (up to
 * 32,000 characters) is cut to the longest prefix that fits, which a binary search finds since a
 * character takes 1 to 12 bytes of JSON (a surrogate pair is never split); reasons are already cut to
 * MAX_REASON characters, and a line still too long with an empty prompt (a very long chain) loses its
 * reasons, then its steps past MAX_STEPS_WHEN_CUT.
 */
/** The trail steps and the bounded JSON line of a history entry. Stateless; thread-safe. */
final class HistoryLines {

    /** The most characters of a trail step's reason kept. */
    static final int MAX_REASON = 200;
    /** Trail steps kept when even an empty prompt leaves a line too long. */
    static final int MAX_STEPS_WHEN_CUT = 12;

    /** An entry (as cut to fit) and its JSON, without the newline. */
    record Line(HistoryEntry entry, byte[] bytes) {
    }

    private final JsonMapper json;

    HistoryLines(JsonMapper json) {
        this.json = json;
    }

    /** The trail with each step's action, reasons cut to {@link #MAX_REASON} characters. */
    static List<HistoryEntry.Step> steps(List<Attempt> attempts) {
        List<HistoryEntry.Step> steps = new ArrayList<>(attempts.size());
        for (int i = 0; i < attempts.size(); i++) {
            Attempt a = attempts.get(i);
            String action = null;
            if (a.outcome() != Attempt.SUCCESS) {
                boolean retried = a.outcome() == Attempt.FAILURE && i + 1 < attempts.size()
                        && attempts.get(i + 1).provider().equals(a.provider());
                action = retried ? "retry" : "fallback";
            }
            steps.add(new HistoryEntry.Step(a.provider(), a.outcome().wire(),
                    a.failureKind() == null ? null : a.failureKind().name(), a.httpStatus(), a.durationMs(),
                    cut(a.reason(), MAX_REASON), action));
        }
        return steps;
    }

    /** The entry and its JSON, under {@link HistoryJournal#MAX_LINE_BYTES} with the newline (see the header). */
    Line fit(HistoryEntry entry) {
        int max = HistoryJournal.MAX_LINE_BYTES;
        HistoryEntry e = entry;
        byte[] bytes = write(e);
        String prompt = e.prompt();
        if (bytes.length >= max) {
            int fits = 0;
            int tooLong = prompt.length();
            while (tooLong - fits > 1) {
                int mid = (fits + tooLong) >>> 1;
                if (write(e.with(prefix(prompt, mid), true, e.attempts())).length < max) {
                    fits = mid;
                } else {
                    tooLong = mid;
                }
            }
            prompt = prefix(prompt, fits);
            e = e.with(prompt, true, e.attempts());
            bytes = write(e);
        }
        if (bytes.length >= max) {
            e = e.with(prompt, true, e.attempts().stream().map(s -> new HistoryEntry.Step(s.provider(), s.outcome(),
                    s.failureKind(), s.httpStatus(), s.durationMs(), null, s.action())).toList());
            bytes = write(e);
        }
        if (bytes.length >= max) {
            e = e.with(prompt, true, e.attempts().subList(0, Math.min(MAX_STEPS_WHEN_CUT, e.attempts().size())));
            bytes = write(e);
        }
        return new Line(e, bytes);
    }

    private byte[] write(HistoryEntry entry) {
        try {
            return json.writeValueAsBytes(entry);
        } catch (IOException e) {
            throw new IllegalStateException("a history entry did not serialise", e);
        }
    }

    /** The first {@code length} characters, one fewer when that would split a surrogate pair. */
    static String prefix(String text, int length) {
        int end = length > 0 && Character.isHighSurrogate(text.charAt(length - 1)) ? length - 1 : length;
        return text.substring(0, end);
    }

    /** At most {@code max} characters, an ellipsis added when cut; null stays null. */
    static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end) + "…";
    }
}
