package dev.imagerouter.storage;

import dev.imagerouter.provider.ProviderFailure;
import dev.imagerouter.routing.policy.FailureKind;
import dev.imagerouter.storage.ImageNormaliser.NormalisedImage;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageNormaliserTest {

    private final ImageNormaliser normaliser = new ImageNormaliser();

    /** A picture whose left and right thirds are red and blue and centre third green, for seeing where a crop went. */
    static byte[] stripes(int width, int height, String format, int type) throws IOException {
        BufferedImage image = new BufferedImage(width, height, type);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, width / 3, height);
        g.setColor(Color.GREEN);
        g.fillRect(width / 3, 0, width - 2 * (width / 3), height);
        g.setColor(Color.BLUE);
        g.fillRect(width - width / 3, 0, width / 3, height);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out));
        return out.toByteArray();
    }

    private static BufferedImage decode(byte[] bytes) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
        assertNotNull(image, "output decodes");
        return image;
    }

    @Test
    void wider3by2_isCentreCroppedAndResizedTo16by9_exactly() throws IOException {
        // Given OpenAI's 1536x1024 for a 1536x864 request
        byte[] input = stripes(1536, 1024, "png", BufferedImage.TYPE_INT_RGB);

        NormalisedImage out = normaliser.normalise(input, 1536, 864, "png");

        BufferedImage image = decode(out.bytes());
        assertEquals(1536, image.getWidth());
        assertEquals(864, image.getHeight());
        assertEquals(new NormalisedImage(out.bytes(), "png", "image/png", 1536, 864, true), out);
        assertEquals(Color.RED.getRGB(), image.getRGB(10, 432));
        assertEquals(Color.GREEN.getRGB(), image.getRGB(768, 432));
        assertEquals(Color.BLUE.getRGB(), image.getRGB(1525, 432));
    }

    @Test
    void square_isCentreCroppedAndUpscaledTo1536x864() throws IOException {
        byte[] input = stripes(1024, 1024, "png", BufferedImage.TYPE_INT_ARGB);

        NormalisedImage out = normaliser.normalise(input, 1536, 864, "png");

        BufferedImage image = decode(out.bytes());
        assertEquals(1536, image.getWidth());
        assertEquals(864, image.getHeight());
        assertTrue(out.normalised());
        assertEquals(Color.GREEN.getRGB(), image.getRGB(768, 432));
    }

    @Test
    void tallToWide_cropsTheMiddleBand_andOddRatiosStillGiveExactSize() throws IOException {
        byte[] input = stripes(1024, 1536, "png", BufferedImage.TYPE_INT_RGB);
        BufferedImage image = decode(normaliser.normalise(input, 1000, 333, "png").bytes());
        assertEquals(1000, image.getWidth());
        assertEquals(333, image.getHeight());
        image = decode(normaliser.normalise(input, 257, 1031, "jpeg").bytes());
        assertEquals(257, image.getWidth());
        assertEquals(1031, image.getHeight());
    }

    @Test
    void sameSizeAndFormat_isReturnedByteForByte() throws IOException {
        byte[] png = stripes(1024, 1024, "png", BufferedImage.TYPE_INT_RGB);
        NormalisedImage out = normaliser.normalise(png, 1024, 1024, "png");
        assertSame(png, out.bytes());
        assertFalse(out.normalised());
        assertEquals("image/png", out.contentType());

        byte[] jpeg = stripes(1024, 1024, "jpeg", BufferedImage.TYPE_INT_RGB);
        NormalisedImage outJpeg = normaliser.normalise(jpeg, 1024, 1024, "jpeg");
        assertSame(jpeg, outJpeg.bytes());
        assertFalse(outJpeg.normalised());
    }

    @Test
    void sameSizeOtherFormat_isReEncoded() throws IOException {
        byte[] png = stripes(1024, 1024, "png", BufferedImage.TYPE_INT_ARGB);
        NormalisedImage out = normaliser.normalise(png, 1024, 1024, "jpeg");
        assertTrue(out.normalised());
        assertEquals("image/jpeg", out.contentType());
        assertEquals("jpeg", out.format());
        assertEquals((byte) 0xff, out.bytes()[0]);
        assertEquals((byte) 0xd8, out.bytes()[1]);
    }

    @Test
    void jpegOutput_fromTransparentPng_decodesWithoutAlphaOnWhite() throws IOException {
        BufferedImage transparent = new BufferedImage(512, 512, BufferedImage.TYPE_INT_ARGB); // all alpha 0
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        ImageIO.write(transparent, "png", buffer);

        NormalisedImage out = normaliser.normalise(buffer.toByteArray(), 256, 256, "jpeg");

        BufferedImage image = decode(out.bytes());
        assertEquals(256, image.getWidth());
        assertFalse(image.getColorModel().hasAlpha());
        Color centre = new Color(image.getRGB(128, 128));
        assertTrue(centre.getRed() > 250 && centre.getGreen() > 250 && centre.getBlue() > 250, "white, not black: " + centre);
    }

    @Test
    void garbageBytes_areMalformedResponse() {
        byte[] garbage = "<html>Access denied</html>".getBytes();
        ProviderFailure failure = assertThrows(ProviderFailure.class, () -> normaliser.normalise(garbage, 1024, 1024, "png"));
        assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind());
        assertEquals("image could not be decoded", failure.getMessage());
    }

    @Test
    void truncatedPng_isMalformedResponse() throws IOException {
        byte[] png = stripes(1024, 1024, "png", BufferedImage.TYPE_INT_RGB);
        byte[] truncated = Arrays.copyOf(png, png.length / 2);
        ProviderFailure failure = assertThrows(ProviderFailure.class, () -> normaliser.normalise(truncated, 1024, 1024, "png"));
        assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind());
    }

    @Test
    void hugeSource_isRefusedBeforeDecoding() throws IOException {
        byte[] png = stripes(1024, 1024, "png", BufferedImage.TYPE_INT_RGB);
        ProviderFailure failure = assertThrows(ProviderFailure.class,
                () -> new ImageNormaliser(1_000_000).normalise(png, 512, 512, "png"));
        assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind());
        assertTrue(failure.getMessage().contains("1024x1024"), failure.getMessage());
    }

    @Test
    void webpAndUnknownFormats_areRejected() throws IOException {
        byte[] png = stripes(256, 256, "png", BufferedImage.TYPE_INT_RGB);
        IllegalArgumentException webp = assertThrows(IllegalArgumentException.class, () -> normaliser.normalise(png, 256, 256, "webp"));
        assertEquals("output_format webp is not supported", webp.getMessage());
        assertThrows(IllegalArgumentException.class, () -> normaliser.normalise(png, 256, 256, "gif"));
        assertThrows(IllegalArgumentException.class, () -> normaliser.normalise(png, 0, 256, "png"));
        assertArrayEquals(png, normaliser.normalise(png, 256, 256, "png").bytes());
    }
}
