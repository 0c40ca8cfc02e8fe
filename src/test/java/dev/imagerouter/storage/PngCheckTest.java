package dev.imagerouter.storage;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PngCheckTest {

    private static byte[] png(int w, int h) throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 1, 0xff0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    @Test
    void intactPngOfTheRightSize_passes() throws IOException {
        assertTrue(PngCheck.isIntact(png(64, 32), 64, 32));
    }

    @Test
    void wrongSize_truncation_corruptionAndTrailingBytes_fail() throws IOException {
        byte[] ok = png(64, 32);
        assertFalse(PngCheck.isIntact(ok, 32, 64));
        assertFalse(PngCheck.isIntact(Arrays.copyOf(ok, ok.length - 5), 64, 32));
        byte[] corrupt = ok.clone();
        corrupt[ok.length / 2] ^= 0x40;
        assertFalse(PngCheck.isIntact(corrupt, 64, 32));
        assertFalse(PngCheck.isIntact(Arrays.copyOf(ok, ok.length + 3), 64, 32));
        assertFalse(PngCheck.isIntact("not a png at all, definitely not".getBytes(), 64, 32));
    }
}
