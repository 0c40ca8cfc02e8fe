package dev.imagerouter.provider.openai;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** gpt-image-2's size rules (GPT-IMAGE-2.md §1) and the size the router asks for instead of one outside them. */
class SizeRulesTest {

    private static final SizeRules RULES = SizeRules.GPT_IMAGE_2;

    @ParameterizedTest
    @CsvSource({"1024x1024", "1536x1024", "1024x1536", "2048x2048", "2048x1152", "3840x2160", "2160x3840", "1024x640",
            "2880x2880", "3840x1280"})
    void sizesOpenAiListsAsValid_areAskedForAsTheyAre(String size) {
        int w = Integer.parseInt(size.split("x")[0]);
        int h = Integer.parseInt(size.split("x")[1]);
        assertTrue(RULES.accepts(w, h), size);
        assertArrayEquals(new int[]{w, h}, RULES.nearest(w, h));
    }

    @ParameterizedTest
    @CsvSource({
            "1536, 864, 1536, 864",     // valid: 16:9, 1,327,104 px
            "1000, 1000, 1008, 1008",   // not multiples of 16: the nearest grid size
            "256, 256, 816, 816",       // under 655,360 px: scaled up, square kept
            "3840, 256, 1712, 576",     // 15:1: the aspect clamped to 3:1, the pixel count raised to the floor
            "1536, 872, 1536, 880"})    // 872 is not a multiple of 16: the nearest that is
    void sizeOutsideTheRules_isAskedForAtTheNearestSizeInsideThem(int w, int h, int ew, int eh) {
        int[] asked = RULES.nearest(w, h);
        assertArrayEquals(new int[]{ew, eh}, asked, asked[0] + "x" + asked[1]);
        assertTrue(RULES.accepts(asked[0], asked[1]), asked[0] + "x" + asked[1]);
        // the aspect ratio stays as close as the rules allow
        double want = Math.max(1 / 3.0, Math.min(3.0, (double) w / h));
        assertEquals(want, (double) asked[0] / asked[1], 0.05 * want, asked[0] + "x" + asked[1]);
    }

    @Test
    void everySizeTheRouterAccepts_mapsToASizeGptImage2Accepts() {
        for (int w = 256; w <= 3840; w += 88) {
            for (int h = 256; h <= 3840; h += 104) {
                if ((long) w * h > 8_294_400L) {
                    continue;
                }
                int[] asked = RULES.nearest(w, h);
                assertTrue(RULES.accepts(asked[0], asked[1]), w + "x" + h + " → " + asked[0] + "x" + asked[1]);
            }
        }
    }

    @Test
    void fixedList_asksForTheEntryNearestInAspectRatio() {
        SizeRules gptImage1 = new SizeRules(List.of(new int[]{1024, 1024}, new int[]{1536, 1024}, new int[]{1024, 1536}),
                1, Integer.MAX_VALUE, Double.MAX_VALUE, 1, Long.MAX_VALUE);
        assertArrayEquals(new int[]{1536, 1024}, gptImage1.nearest(1536, 864));
        assertArrayEquals(new int[]{1024, 1536}, gptImage1.nearest(512, 900));
        assertArrayEquals(new int[]{1024, 1024}, gptImage1.nearest(700, 640));
    }

    @Test
    void equalRules_readTwice_areEqual_soAReloadKeepsTheAdapter() {
        SizeRules a = new SizeRules(List.of(new int[]{1024, 1024}, new int[]{1536, 1024}), 0, 0, 0, 0, 0);
        SizeRules b = new SizeRules(List.of(new int[]{1024, 1024}, new int[]{1536, 1024}), 0, 0, 0, 0, 0);
        assertEquals(a, b, "the same sizes in new arrays");
        assertEquals(a.hashCode(), b.hashCode());
        assertTrue(!a.equals(new SizeRules(List.of(new int[]{1024, 1024}, new int[]{1024, 1536}), 0, 0, 0, 0, 0)),
                "another size is another rule");
        assertTrue(!a.equals(new SizeRules(List.of(new int[]{1024, 1024}), 0, 0, 0, 0, 0)), "fewer sizes");
        assertTrue(!SizeRules.GPT_IMAGE_2.equals(new SizeRules(List.of(), 16, 3840, 3.0, 655_360L, 8_294_401L)));
        assertEquals(SizeRules.GPT_IMAGE_2, new SizeRules(List.of(), 16, 3840, 3.0, 655_360L, 8_294_400L));
    }
}
