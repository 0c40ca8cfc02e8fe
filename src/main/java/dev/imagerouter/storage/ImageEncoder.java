package dev.imagerouter.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;

/*
 * The encoders, all through ImageIO so that the normaliser names formats, not libraries:
 *
 *   png   the JDK's writer (lossless, zlib at its default level)
 *   jpeg  the JDK's writer, quality 0..1
 *   webp  libwebp through com.github.usefulness:webp-imageio, the maintained fork of Luciad's
 *         webp-imageio plugin. Its jar carries libwebp built for Linux, macOS and Windows on x86_64
 *         and aarch64; on first use the library is copied to java.io.tmpdir (or the directory in
 *         the system property com.luciad.imageio.webp.tmpdir) and loaded from there, so that
 *         directory must allow executable mappings. The same plugin registers the WebP reader
 *         that ImageIO.getImageReaders finds when a provider answers WebP.
 *
 * WebP is always encoded lossy (VP8, libwebp's method 4, its default speed/size trade-off), alpha
 * kept losslessly in an ALPH chunk. Lossless WebP of a generated 1024x1024 picture measured 19x the
 * bytes and 3x the time of lossy at quality 90 (1.44 MB in 677 ms against 76 KB in 223 ms,
 * bench/RESULTS.md, "WebP encoding"), so output_compression is a lossy quality for WebP as it is
 * for JPEG, 100 included.
 */

/**
 * Encodes a {@link BufferedImage} as PNG, JPEG or lossy WebP into a byte array.
 *
 * <p>Stateless and thread-safe: every call takes its own ImageIO writer. CPU-bound and blocking:
 * for a 1024x1024 picture ~30 ms as JPEG, ~220 ms as WebP, ~300 ms as PNG (bench/RESULTS.md).
 */
final class ImageEncoder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageEncoder.class);
    private static final String WEBP_MIME = "image/webp";
    /** The compression type the webp-imageio writer names its VP8 (lossy) mode by. */
    private static final String WEBP_LOSSY = "Lossy";

    private ImageEncoder() {
    }

    /** PNG, lossless; keeps the image's alpha channel if it has one. */
    static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * 1024);
        // A memory-cached stream, closed to flush it: ImageIO.write(image, "png", out) would
        // buffer through a temp file while ImageIO's global useCache is on.
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            if (!ImageIO.write(image, "png", stream)) {
                throw new IllegalStateException("no PNG writer for image type " + image.getType());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("encoding an in-memory image as png failed", e);
        }
        return out.toByteArray();
    }

    /**
     * Baseline JPEG of an image without alpha (callers flatten first: JPEG has no alpha channel).
     *
     * @param quality 0..1, the JDK writer's compression quality
     */
    static byte[] jpeg(BufferedImage image, float quality) {
        return write(ImageIO.getImageWritersByFormatName("jpeg"), image, null, quality, "jpeg");
    }

    /**
     * Lossy WebP; an image with an alpha channel keeps it (lossless alpha).
     *
     * @param quality 0..1, libwebp's quality factor divided by 100
     * @throws IllegalStateException when no WebP writer is registered (see {@link #webpAvailable()})
     */
    static byte[] webp(BufferedImage image, float quality) {
        return write(ImageIO.getImageWritersByMIMEType(WEBP_MIME), webpCompatible(image), WEBP_LOSSY, quality, "webp");
    }

    /**
     * Whether WebP encodes and decodes in this process: a 2x2 image is written and read back once,
     * on first call (which loads the native library). False, with one WARN naming the cause, when
     * the plugin is missing, has no binary for this platform, or cannot load it.
     */
    static boolean webpAvailable() {
        return WebpProbe.AVAILABLE;
    }

    private static byte[] write(Iterator<ImageWriter> writers, BufferedImage image, String compressionType,
                                float quality, String format) {
        if (!writers.hasNext()) {
            throw new IllegalStateException("no ImageIO writer for " + format);
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * 1024);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            if (compressionType != null) {
                param.setCompressionType(compressionType);
            }
            param.setCompressionQuality(quality);
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("encoding an in-memory image as " + format + " failed", e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * The image in a layout the WebP writer reads correctly: it takes packed-int and
     * interleaved-byte RGB(A) as they are, but misreads grey, palette and premultiplied images
     * (measured: grey came out darker), so those are redrawn as (A)RGB first.
     */
    private static BufferedImage webpCompatible(BufferedImage image) {
        switch (image.getType()) {
            case BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR,
                 BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR -> {
                return image;
            }
            default -> {
                BufferedImage copy = new BufferedImage(image.getWidth(), image.getHeight(),
                        image.getColorModel().hasAlpha() ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
                Graphics2D g = copy.createGraphics();
                try {
                    g.drawImage(image, 0, 0, null);
                } finally {
                    g.dispose();
                }
                return copy;
            }
        }
    }

    /** Holder idiom: the probe runs once, on first use, and its answer never changes. */
    private static final class WebpProbe {
        static final boolean AVAILABLE = probe();

        private static boolean probe() {
            try {
                BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
                image.setRGB(0, 0, 0xff336699);
                BufferedImage back = ImageIO.read(new ByteArrayInputStream(webp(image, 0.9f)));
                if (back == null || back.getWidth() != 2 || back.getHeight() != 2) {
                    LOG.warn("WebP is not available: the encoder's output did not decode back to 2x2");
                    return false;
                }
                return true;
            } catch (RuntimeException | IOException | LinkageError e) {
                // LinkageError: the native library is missing for this platform or cannot be mapped.
                LOG.warn("WebP is not available: {}", e.toString());
                return false;
            }
        }
    }
}
