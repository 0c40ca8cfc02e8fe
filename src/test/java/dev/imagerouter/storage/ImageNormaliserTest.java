package dev.imagerouter.storage;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.storage.ImageNormaliser.NormalisedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

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
    void unknownFormatsBackgroundsAndCompressions_areRejected() throws IOException {
        byte[] png = stripes(256, 256, "png", BufferedImage.TYPE_INT_RGB);
        assertThrows(IllegalArgumentException.class, () -> normaliser.normalise(png, 256, 256, "gif"));
        assertThrows(IllegalArgumentException.class, () -> normaliser.normalise(png, 0, 256, "png"));
        assertEquals("output_compression must be between 0 and 100, but was 101", assertThrows(IllegalArgumentException.class,
                () -> normaliser.normalise(png, 256, 256, "webp", Optional.of(101), "auto")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> normaliser.normalise(png, 256, 256, "jpeg", Optional.of(-1), "auto"));
        assertThrows(IllegalArgumentException.class, () -> normaliser.normalise(png, 256, 256, "png", Optional.empty(), "clear"));
        assertEquals("background transparent needs output_format png or webp, but was jpeg", assertThrows(
                IllegalArgumentException.class, () -> normaliser.normalise(png, 256, 256, "jpeg", Optional.empty(),
                        "transparent")).getMessage());
        assertArrayEquals(png, normaliser.normalise(png, 256, 256, "png").bytes());
    }

    @Test
    void webpEncoderLoadsHere_andIsListedAsAnOutputFormat() {
        assertEquals(List.of("png", "jpeg", "webp"), normaliser.outputFormats());
    }

    @Test
    void pngToWebpAtAnotherSize_decodesAtExactlyThatSize() throws IOException {
        byte[] input = stripes(1536, 1024, "png", BufferedImage.TYPE_INT_RGB);

        NormalisedImage out = normaliser.normalise(input, 1536, 864, "webp");

        assertEquals("webp", out.format());
        assertEquals("image/webp", out.contentType());
        assertTrue(out.normalised());
        assertEquals("RIFF", new String(out.bytes(), 0, 4, StandardCharsets.US_ASCII));
        assertEquals("WEBP", new String(out.bytes(), 8, 4, StandardCharsets.US_ASCII));
        BufferedImage image = decode(out.bytes());
        assertEquals(1536, image.getWidth());
        assertEquals(864, image.getHeight());
        assertNear(Color.GREEN, new Color(image.getRGB(768, 432)));
        assertNear(Color.RED, new Color(image.getRGB(10, 432)));
    }

    @Test
    void webpAnswerOfAnotherSize_isDecodedAndResized() throws IOException {
        // Given OpenAI's WebP at 1536x1024 for a 1536x864 request
        byte[] webp = normaliser.normalise(stripes(1536, 1024, "png", BufferedImage.TYPE_INT_RGB), 1536, 1024, "webp").bytes();

        BufferedImage png = decode(normaliser.normalise(webp, 1536, 864, "png").bytes());
        BufferedImage again = decode(normaliser.normalise(webp, 768, 432, "webp").bytes());

        assertEquals(List.of(1536, 864), List.of(png.getWidth(), png.getHeight()));
        assertEquals(List.of(768, 432), List.of(again.getWidth(), again.getHeight()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"jpeg", "webp"})
    void higherCompressionValue_givesMoreBytes(String format) throws IOException {
        byte[] input = picture(512, 512, false);

        int low = normaliser.normalise(input, 384, 384, format, Optional.of(10), "auto").bytes().length;
        int middle = normaliser.normalise(input, 384, 384, format, Optional.of(50), "auto").bytes().length;
        int high = normaliser.normalise(input, 384, 384, format, Optional.of(90), "auto").bytes().length;

        assertTrue(low < middle && middle < high, format + ": 10 -> " + low + " B, 50 -> " + middle + " B, 90 -> " + high + " B");
    }

    @Test
    void compressionIsIgnoredForPng() throws IOException {
        byte[] input = picture(256, 256, false);
        assertArrayEquals(normaliser.normalise(input, 200, 200, "png", Optional.of(10), "auto").bytes(),
                normaliser.normalise(input, 200, 200, "png", Optional.of(90), "auto").bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "webp", "jpeg"})
    void opaque_flattensATransparentPngOntoWhite(String format) throws IOException {
        byte[] input = picture(512, 512, true); // corners fully transparent

        NormalisedImage out = normaliser.normalise(input, 256, 256, format, Optional.empty(), "opaque");

        BufferedImage image = decode(out.bytes());
        Color corner = new Color(image.getRGB(0, 0), true);
        assertEquals(255, corner.getAlpha());
        assertTrue(corner.getRed() > 245 && corner.getGreen() > 245 && corner.getBlue() > 245, "white: " + corner);
        assertFalse(image.getColorModel().hasAlpha(), format + " has no alpha channel");
    }

    @Test
    void opaque_sameSizeTransparentPng_isFlattenedNotPassedThrough() throws IOException {
        byte[] input = picture(256, 256, true);

        assertEquals(Optional.empty(), normaliser.asIs(input, 256, 256, "png", "opaque"));
        NormalisedImage out = normaliser.normalise(input, 256, 256, "png", Optional.empty(), "opaque");

        assertTrue(out.normalised());
        assertEquals(255, new Color(decode(out.bytes()).getRGB(0, 0), true).getAlpha());
        assertTrue(normaliser.asIs(input, 256, 256, "png", "transparent").isPresent(), "alpha is what transparent wants");
    }

    @ParameterizedTest
    @ValueSource(strings = {"transparent", "auto"})
    void transparentAndAuto_keepAlpha_inPngAndWebp(String background) throws IOException {
        byte[] input = picture(512, 512, true);
        for (String format : List.of("png", "webp")) {
            BufferedImage image = decode(normaliser.normalise(input, 256, 256, format, Optional.empty(), background).bytes());

            assertTrue(image.getColorModel().hasAlpha(), format);
            assertEquals(0, new Color(image.getRGB(0, 0), true).getAlpha(), format + ": the corner stays transparent");
            assertEquals(255, new Color(image.getRGB(128, 128), true).getAlpha(), format + ": the centre stays opaque");
        }
    }

    @Test
    void webpOfTheRightSize_isReturnedAsIs_andOtherSizesOrOpaqueWithAlphaAreNot() throws IOException {
        byte[] opaqueWebp = normaliser.normalise(picture(300, 200, false), 300, 200, "webp").bytes();
        byte[] alphaWebp = normaliser.normalise(picture(300, 200, true), 300, 200, "webp").bytes();

        Optional<NormalisedImage> same = normaliser.asIs(opaqueWebp, 300, 200, "webp", "auto");

        assertTrue(same.isPresent());
        assertSame(opaqueWebp, same.get().bytes());
        assertEquals("image/webp", same.get().contentType());
        assertFalse(same.get().normalised());
        assertSame(opaqueWebp, normaliser.normalise(opaqueWebp, 300, 200, "webp", Optional.of(5), "opaque").bytes(),
                "the provider's own compression stands");
        assertSame(alphaWebp, normaliser.asIs(alphaWebp, 300, 200, "webp", "transparent").orElseThrow().bytes());
        assertEquals(Optional.empty(), normaliser.asIs(alphaWebp, 300, 200, "webp", "opaque"));
        assertEquals(Optional.empty(), normaliser.asIs(opaqueWebp, 200, 300, "webp", "auto"));
        assertEquals(Optional.empty(), normaliser.asIs(opaqueWebp, 300, 200, "png", "auto"));
        assertEquals(Optional.empty(), normaliser.asIs(Arrays.copyOf(opaqueWebp, opaqueWebp.length - 1), 300, 200, "webp", "auto"),
                "a truncated WebP");
    }

    @Test
    void losslessWebp_isRecognisedAsIs_withItsAlphaBit() throws IOException {
        byte[] lossless = losslessWebp(picture(64, 48, true));
        assertTrue(normaliser.asIs(lossless, 64, 48, "webp", "transparent").isPresent());
        assertEquals(Optional.empty(), normaliser.asIs(lossless, 64, 48, "webp", "opaque"));
        byte[] losslessOpaque = losslessWebp(picture(64, 48, false));
        assertTrue(normaliser.asIs(losslessOpaque, 64, 48, "webp", "opaque").isPresent());
    }

    @Test
    void jpegOfTheRightSize_isReturnedAsIs_butNotWhenTruncated() throws IOException {
        byte[] jpeg = stripes(640, 480, "jpeg", BufferedImage.TYPE_INT_RGB);

        assertSame(jpeg, normaliser.asIs(jpeg, 640, 480, "jpeg", "opaque").orElseThrow().bytes());
        assertEquals(Optional.empty(), normaliser.asIs(jpeg, 480, 640, "jpeg", "auto"));
        assertEquals(Optional.empty(), normaliser.asIs(Arrays.copyOf(jpeg, jpeg.length - 100), 640, 480, "jpeg", "auto"));
    }

    @Test
    void undecodableWebp_isMalformedResponse() throws IOException {
        byte[] webp = normaliser.normalise(picture(256, 256, false), 256, 256, "webp").bytes();
        byte[] broken = webp.clone();
        Arrays.fill(broken, 20, broken.length, (byte) 0x5a); // a valid RIFF header over garbage

        for (byte[] input : List.of(broken, Arrays.copyOf(webp, webp.length / 2))) {
            ProviderFailure failure = assertThrows(ProviderFailure.class, () -> normaliser.normalise(input, 128, 128, "webp"));
            assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind());
        }
    }

    /**
     * A picture with a gradient and noise (so that the encoders' quality shows in the bytes); with
     * {@code alpha}, a transparent frame of a quarter of each edge around an opaque centre.
     */
    static byte[] picture(int width, int height, boolean alpha) throws IOException {
        BufferedImage image = new BufferedImage(width, height, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        Random random = new Random(42);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean frame = x < width / 4 || x >= width - width / 4 || y < height / 4 || y >= height - height / 4;
                int a = alpha && frame ? 0 : 255;
                int r = Math.min(255, x * 255 / width + random.nextInt(24));
                int g = Math.min(255, y * 255 / height + random.nextInt(24));
                int b = Math.min(255, 128 + random.nextInt(24));
                image.setRGB(x, y, (a << 24) | (r << 16) | (g << 8) | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, "png", out));
        return out.toByteArray();
    }

    private static byte[] losslessWebp(byte[] png) throws IOException {
        BufferedImage image = decode(png);
        ImageWriter writer = ImageIO.getImageWritersByMIMEType("image/webp").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionType("Lossless");
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static void assertNear(Color expected, Color actual) {
        int distance = Math.abs(expected.getRed() - actual.getRed()) + Math.abs(expected.getGreen() - actual.getGreen())
                + Math.abs(expected.getBlue() - actual.getBlue());
        assertTrue(distance < 24, "expected about " + expected + " but was " + actual);
    }
}
