package dev.imagerouter.storage;

import dev.imagerouter.provider.ProviderFailure;
import dev.imagerouter.routing.policy.FailureKind;
import net.coobird.thumbnailator.Thumbnails;
import net.coobird.thumbnailator.geometry.Positions;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;

/**
 * Gives the caller the size and format it asked for, whichever provider answered: centre-crops
 * to the requested aspect ratio, resizes to exactly {@code width x height}, and encodes to
 * {@code png} or {@code jpeg}. An image that already has the requested size and format is
 * returned byte for byte (after checking that it decodes).
 *
 * <p>CPU-bound and blocking (tens of milliseconds per image): run it on a worker pool, never on
 * the event loop. Stateless and thread-safe; memory per call is about 4 bytes per source pixel
 * plus 4 per output pixel, bounded by {@link #maxSourcePixels()}.
 */
public final class ImageNormaliser {

    /** Largest source image decoded, in pixels: 25 Mpx is 100 MB as ARGB, and no provider sends more than ~16 Mpx. */
    public static final long DEFAULT_MAX_SOURCE_PIXELS = 25_000_000L;
    /** JPEG quality, 0..1: visually lossless for generated images at about a fifth of the PNG size. */
    public static final float JPEG_QUALITY = 0.92f;

    private final long maxSourcePixels;

    public ImageNormaliser() {
        this(DEFAULT_MAX_SOURCE_PIXELS);
    }

    /** @param maxSourcePixels the largest source image (width x height) decoded; larger ones are refused before decoding */
    public ImageNormaliser(long maxSourcePixels) {
        if (maxSourcePixels < 1) {
            throw new IllegalArgumentException("maxSourcePixels must be positive, but was " + maxSourcePixels);
        }
        this.maxSourcePixels = maxSourcePixels;
    }

    public long maxSourcePixels() {
        return maxSourcePixels;
    }

    /**
     * Normalises one image.
     *
     * @param input  the encoded image as the provider delivered it (PNG or JPEG; anything ImageIO decodes)
     * @param width  requested width in pixels, positive
     * @param height requested height in pixels, positive
     * @param format requested output format, {@code png} or {@code jpeg}
     * @return the image at exactly {@code width x height} in {@code format}
     * @throws IllegalArgumentException for {@code webp} ("output_format webp is not supported": ImageIO
     *                                  cannot write it; the API layer rejects it first), another format, or a bad size
     * @throws ProviderFailure          {@code MALFORMED_RESPONSE} when the input does not decode or is too large to decode
     */
    public NormalisedImage normalise(byte[] input, int width, int height, String format) {
        Objects.requireNonNull(input, "input");
        if ("webp".equals(format)) {
            throw new IllegalArgumentException("output_format webp is not supported");
        }
        if (!"png".equals(format) && !"jpeg".equals(format)) {
            throw new IllegalArgumentException("output_format must be png or jpeg, but was " + format);
        }
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("width and height must be positive, but were " + width + "x" + height);
        }
        Optional<NormalisedImage> asIs = asIs(input, width, height, format);
        if (asIs.isPresent()) {
            return asIs.get();
        }
        BufferedImage source = decode(input);
        if (source.getWidth() == width && source.getHeight() == height && format.equals(sniffFormat(input))) {
            return new NormalisedImage(input, format, contentType(format), width, height, false);
        }
        BufferedImage resized = cropAndResize(source, width, height);
        return new NormalisedImage(encode(resized, format), format, contentType(format), width, height, true);
    }

    /**
     * The image unchanged when it is already a structurally intact PNG of exactly {@code width x
     * height} and PNG was asked for. Checks the structure only (signature, IHDR size, the CRC-32 of
     * every chunk, IEND last), never the pixels, so it is cheap enough for any worker thread. Empty
     * when {@link #normalise} has to decode the image.
     */
    public Optional<NormalisedImage> asIs(byte[] input, int width, int height, String format) {
        if ("png".equals(format) && input != null && PngCheck.isIntact(input, width, height)) {
            return Optional.of(new NormalisedImage(input, format, contentType(format), width, height, false));
        }
        return Optional.empty();
    }

    private BufferedImage decode(byte[] input) {
        try (ImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(input))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
            if (!readers.hasNext()) {
                throw undecodable(null);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(stream, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxSourcePixels) {
                    throw new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "image too large to decode: "
                            + reader.getWidth(0) + "x" + reader.getHeight(0) + " exceeds " + maxSourcePixels + " pixels");
                }
                BufferedImage image = reader.read(0);
                if (image == null || image.getWidth() < 1 || image.getHeight() < 1) {
                    throw undecodable(null);
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (ProviderFailure e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Corrupt data makes ImageIO throw IIOException, but also IllegalArgumentException or
            // ArrayIndexOutOfBoundsException from deep inside a codec.
            throw undecodable(e);
        }
    }

    private static ProviderFailure undecodable(Throwable cause) {
        return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, "image could not be decoded", null, null, cause);
    }

    /** Centre-crops to the target aspect ratio (losing as little as possible), then scales to exactly the target. */
    private static BufferedImage cropAndResize(BufferedImage source, int width, int height) {
        int sw = source.getWidth();
        int sh = source.getHeight();
        int cropWidth = sw;
        int cropHeight = sh;
        if ((long) sw * height > (long) sh * width) {
            cropWidth = (int) Math.max(1, Math.min(sw, Math.round((double) sh * width / height)));
        } else if ((long) sw * height < (long) sh * width) {
            cropHeight = (int) Math.max(1, Math.min(sh, Math.round((double) sw * height / width)));
        }
        try {
            // keepAspectRatio(false): the crop already has the target ratio up to a pixel of
            // rounding, and Thumbnailator would otherwise shave that pixel off the output size.
            // Its default resizer picks bicubic or progressive bilinear by scale factor.
            return Thumbnails.of(source)
                    .sourceRegion(Positions.CENTER, cropWidth, cropHeight)
                    .size(width, height)
                    .keepAspectRatio(false)
                    .asBufferedImage();
        } catch (IOException e) {
            throw new UncheckedIOException("resizing an in-memory image failed", e);
        }
    }

    private static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * 1024);
        try {
            if (format.equals("png")) {
                // A memory-cached stream, closed to flush it: ImageIO.write(image, "png", out)
                // would buffer through a temp file while ImageIO's global useCache is on.
                try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
                    if (!ImageIO.write(image, "png", stream)) {
                        throw new IllegalStateException("no PNG writer for image type " + image.getType());
                    }
                }
                return out.toByteArray();
            }
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
                ImageWriteParam param = writer.getDefaultWriteParam();
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(JPEG_QUALITY);
                writer.setOutput(stream);
                writer.write(null, new IIOImage(withoutAlpha(image), null, null), param);
            } finally {
                writer.dispose();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding an in-memory image as " + format + " failed", e);
        }
    }

    /** JPEG has no alpha: composite onto white (transparent pixels often hold black) as RGB. */
    private static BufferedImage withoutAlpha(BufferedImage image) {
        if (!image.getColorModel().hasAlpha() && image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(image, 0, 0, Color.WHITE, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    /** {@code png}, {@code jpeg}, or null, from the magic bytes. */
    private static String sniffFormat(byte[] bytes) {
        if (bytes.length >= 8 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G'
                && bytes[4] == '\r' && bytes[5] == '\n' && bytes[6] == 0x1a && bytes[7] == '\n') {
            return "png";
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff) {
            return "jpeg";
        }
        return null;
    }

    private static String contentType(String format) {
        return format.equals("png") ? "image/png" : "image/jpeg";
    }

    /**
     * A normalised image.
     *
     * @param bytes       the encoded image (the input itself when {@code normalised} is false)
     * @param format      {@code png} or {@code jpeg}, also the store's extension
     * @param contentType {@code image/png} or {@code image/jpeg}
     * @param width       width in pixels, as requested
     * @param height      height in pixels, as requested
     * @param normalised  whether the image was cropped, resized or re-encoded
     */
    public record NormalisedImage(byte[] bytes, String format, String contentType, int width, int height,
                                  boolean normalised) {
    }
}
