package dev.imagerouter.sandbox;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SandboxImagesTest {

    @Test
    void rendersARealPngOfTheRequestedSize_deterministically() throws IOException {
        byte[] a = SandboxImages.render("a red fox", 42, 320, 200, SandboxImages.Format.PNG, 100);
        byte[] b = SandboxImages.render("a red fox", 42, 320, 200, SandboxImages.Format.PNG, 100);
        byte[] otherSeed = SandboxImages.render("a red fox", 43, 320, 200, SandboxImages.Format.PNG, 100);

        BufferedImage img = ImageIO.read(new ByteArrayInputStream(a));
        assertEquals(320, img.getWidth());
        assertEquals(200, img.getHeight());
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, otherSeed));
    }

    @Test
    void rendersJpeg() throws IOException {
        byte[] jpeg = SandboxImages.render("x", 1, 64, 48, SandboxImages.Format.JPEG, 80);

        assertEquals((byte) 0xFF, jpeg[0]);
        assertEquals((byte) 0xD8, jpeg[1]);
        assertEquals(64, ImageIO.read(new ByteArrayInputStream(jpeg)).getWidth());
    }

    @Test
    void cachesRenderedBytes() {
        SandboxImages images = new SandboxImages();

        byte[] first = images.png("cached", 5, 64, 64).join();
        byte[] second = images.png("cached", 5, 64, 64).join();

        assertSame(first, second);
    }

    @Test
    void derivedSeedsAreStableAndOftenAbove2pow31() {
        long seed = LeonardoJobs.seedFor("A majestic cat in the snow");

        assertEquals(seed, LeonardoJobs.seedFor("A majestic cat in the snow"));
        assertTrue(seed >= 1 && seed <= LeonardoJobs.MAX_SEED);
        long above = java.util.stream.IntStream.range(0, 200).mapToLong(i -> LeonardoJobs.seedFor("p" + i))
                .filter(s -> s > Integer.MAX_VALUE).count();
        assertTrue(above > 100, "most derived seeds exceed 2^31, got " + above);
    }

    @Test
    void accountTakesSubscriptionFirst_andRefusesOnlyWhenAlreadyEmpty() {
        LeonardoAccount account = new LeonardoAccount();
        account.set(new BigDecimal("10"), new BigDecimal("20"));

        assertEquals(new BigDecimal("18"), account.debit(new BigDecimal("12")).orElseThrow());
        assertEquals(0, account.tokens()[0].signum());
        assertEquals(new BigDecimal("18"), account.tokens()[1]);
        assertEquals(new BigDecimal("-14"), account.debit(new BigDecimal("32")).orElseThrow());
        assertTrue(account.debit(BigDecimal.ONE).isEmpty());
        assertEquals(new BigDecimal("-14"), account.total());
    }

    @Test
    void flatImages_areOneImagePerSizeWhateverThePrompt_fullImagesDependOnIt() throws Exception {
        SandboxImages images = new SandboxImages();
        byte[] fullA = images.png("a red fox", 1, 64, 48).get();
        byte[] fullB = images.png("a blue whale", 1, 64, 48).get();
        images.setFlat(true);
        byte[] flatA = images.png("a red fox", 1, 64, 48).get();
        byte[] flatB = images.png("a blue whale", 2, 64, 48).get();
        byte[] flatOtherSize = images.png("a red fox", 1, 32, 48).get();

        assertFalse(java.util.Arrays.equals(fullA, fullB), "full images follow the prompt");
        assertArrayEquals(flatA, flatB, "a flat image is the same bytes for every prompt and seed");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(flatOtherSize));
        assertEquals(32, decoded.getWidth());
        assertEquals(48, decoded.getHeight());
    }
}
