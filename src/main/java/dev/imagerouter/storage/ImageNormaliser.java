package dev.imagerouter.storage;

import dev.imagerouter.vocabulary.ImageRequest;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;
import net.coobird.thumbnailator.Thumbnails;
import net.coobird.thumbnailator.geometry.Positions;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

// Over 300 lines because the whole decode, crop and resize, encode path with its per-format branches (PNG, JPEG, WebP, alpha flattening), which share their helpers.

/*
 * What the caller asked for, whichever provider answered (Leonardo answers PNG or JPEG; OpenAI in
 * the requested format, at its own sizes):
 *
 *   size          centre-crop to the requested aspect ratio, then resize to exactly width x height
 *   output_format png (lossless), jpeg, or webp (lossy VP8, see ImageEncoder for the encoder)
 *   compression   output_compression 0..100 is the encoder's quality (q = c / 100) for jpeg and
 *                 webp, as OpenAI uses it; png ignores it. Absent: jpeg 0.92 and webp 0.90, both
 *                 chosen by measurement (bench/RESULTS.md, "WebP encoding"), not OpenAI's 100,
 *                 which for WebP costs four times the bytes of 0.90 for 1 dB of PSNR
 *   background    opaque: any alpha is composited onto white (also in png and webp); transparent
 *                 and auto: png and webp keep the alpha the image has (none is invented); jpeg
 *                 always drops alpha onto white (the API refuses jpeg + transparent first)
 *
 * An image already in the requested size and format, intact, and without alpha when opaque was
 * asked for, is passed through byte for byte; the provider's own compression then stands
 * (re-encoding a lossy image to change its quality would only lose more).
 */

/**
 * Gives the caller the size, format, compression and background it asked for (see the header
 * comment for the rules). An image that already has the requested size and format is returned
 * byte for byte after a structural check ({@link #asIs}).
 *
 * <p>CPU-bound and blocking (tens to hundreds of milliseconds per image; WebP a little below PNG,
 * JPEG a tenth of it, see bench/RESULTS.md): run {@link #normalise} on a worker pool, never on the event loop;
 * {@link #asIs} reads headers only and is cheap anywhere. Stateless and thread-safe; memory per
 * call is about 4 bytes per source pixel plus 4 per output pixel, bounded by {@link #maxSourcePixels()}.
 */
public final class ImageNormaliser {

    /** Largest source image decoded, in pixels: 25 Mpx is 100 MB as ARGB, and no provider sends more than ~16 Mpx. */
    public static final long DEFAULT_MAX_SOURCE_PIXELS = 25_000_000L;
    /** JPEG quality, 0..1, without output_compression: visually lossless for generated images at about a fifth of the PNG size. */
    public static final float JPEG_QUALITY = 0.92f;
    /**
     * Lossy WebP quality, 0..1 (libwebp's quality factor / 100), without output_compression: about
     * JPEG 0.92's fidelity at half its bytes (1024x1024: PSNR 38.7 dB in 76 KB against 39.0 dB in
     * 148 KB); quality 1.0, OpenAI's default, is 303 KB for 39.7 dB (bench/RESULTS.md, "WebP encoding").
     */
    public static final float WEBP_QUALITY = 0.90f;

    private static final List<String> FORMATS = List.of("png", "jpeg", "webp");
    private static final List<String> BACKGROUNDS = List.of(ImageRequest.BACKGROUND_AUTO, ImageRequest.BACKGROUND_OPAQUE,
            ImageRequest.BACKGROUND_TRANSPARENT);

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
     * The output formats this process can produce: {@code png}, {@code jpeg}, and {@code webp} when
     * the WebP encoder loads here (a round trip of a 2x2 image, tried once, on the first call). The
     * API refuses any other {@code output_format} with a 400 naming these.
     */
    public List<String> outputFormats() {
        return ImageEncoder.webpAvailable() ? FORMATS : FORMATS.subList(0, 2);
    }

    /** {@link #normalise(byte[], int, int, String, Optional, String)} with the default compression and background {@code auto}. */
    public NormalisedImage normalise(byte[] input, int width, int height, String format) {
        return normalise(input, width, height, format, Optional.empty(), ImageRequest.BACKGROUND_AUTO);
    }

    /**
     * Normalises one image.
     *
     * @param input       the encoded image as the provider delivered it (PNG, JPEG, WebP; anything ImageIO decodes)
     * @param width       requested width in pixels, positive
     * @param height      requested height in pixels, positive
     * @param format      requested output format: {@code png}, {@code jpeg} or {@code webp}
     * @param compression {@code output_compression}, 0..100, the quality for {@code jpeg} and {@code webp}
     *                    ({@code c / 100}); empty for {@link #JPEG_QUALITY} or {@link #WEBP_QUALITY}; ignored for {@code png}
     * @param background  {@code auto}, {@code opaque} (alpha composited onto white) or {@code transparent}
     *                    (alpha kept; not with {@code jpeg})
     * @return the image at exactly {@code width x height} in {@code format}, {@code contentType}
     *         {@code image/png}, {@code image/jpeg} or {@code image/webp}
     * @throws IllegalArgumentException for another format or background, {@code jpeg} with {@code transparent},
     *                                  a compression outside 0..100, a bad size, or {@code webp} when
     *                                  {@link #outputFormats()} does not list it
     * @throws ProviderFailure          {@code MALFORMED_RESPONSE} when the input does not decode or is too large to decode
     */
    public NormalisedImage normalise(byte[] input, int width, int height, String format, Optional<Integer> compression,
                                     String background) {
        Objects.requireNonNull(input, "input");
        checkArguments(width, height, format, compression, background);
        if (format.equals("webp") && !ImageEncoder.webpAvailable()) {
            throw new IllegalArgumentException("output_format webp is not supported here (the WebP encoder did not load),"
                    + " supported: " + String.join(", ", outputFormats()));
        }
        Optional<NormalisedImage> asIs = asIs(input, width, height, format, background);
        if (asIs.isPresent()) {
            return asIs.get();
        }
        BufferedImage source = decode(input);
        boolean flatten = format.equals("jpeg")
                || (background.equals(ImageRequest.BACKGROUND_OPAQUE) && source.getColorModel().hasAlpha());
        boolean sameSize = source.getWidth() == width && source.getHeight() == height;
        if (sameSize && !(flatten && source.getColorModel().hasAlpha()) && format.equals(sniffFormat(input))) {
            // Decodes, but failed the structural check (e.g. bytes after a JPEG's EOI): kept, not re-encoded lossily.
            return new NormalisedImage(input, format, contentType(format), width, height, false);
        }
        BufferedImage out = sameSize ? source : cropAndResize(source, width, height);
        if (flatten) {
            out = withoutAlpha(out);
        }
        byte[] bytes = switch (format) {
            case "png" -> ImageEncoder.png(out);
            case "jpeg" -> ImageEncoder.jpeg(out, compression.map(c -> c / 100f).orElse(JPEG_QUALITY));
            default -> ImageEncoder.webp(out, compression.map(c -> c / 100f).orElse(WEBP_QUALITY));
        };
        return new NormalisedImage(bytes, format, contentType(format), width, height, true);
    }

    /** {@link #asIs(byte[], int, int, String, String)} with background {@code auto}. */
    public Optional<NormalisedImage> asIs(byte[] input, int width, int height, String format) {
        return asIs(input, width, height, format, ImageRequest.BACKGROUND_AUTO);
    }

    /**
     * The image unchanged when it already is an intact {@code format} image of exactly {@code width x
     * height} that the background allows: with {@code opaque}, a PNG or WebP that declares alpha
     * (PNG colour type 4/6 or {@code tRNS}; WebP VP8X alpha flag or VP8L alpha bit) needs
     * flattening and is not "as is". Reads structure only, never pixels: PNG signature, IHDR, every
     * chunk's CRC-32 and IEND last ({@link PngCheck}); JPEG markers up to the frame header and EOI
     * last ({@link JpegCheck}); the WebP RIFF container and bitstream header ({@link WebpCheck}).
     * Cheap enough for any thread. Empty when {@link #normalise} has to decode the image.
     *
     * @throws IllegalArgumentException for the arguments {@link #normalise} refuses (the input may be null: empty)
     */
    public Optional<NormalisedImage> asIs(byte[] input, int width, int height, String format, String background) {
        checkArguments(width, height, format, Optional.empty(), background);
        if (input == null) {
            return Optional.empty();
        }
        boolean opaque = background.equals(ImageRequest.BACKGROUND_OPAQUE);
        boolean same = switch (format) {
            case "png" -> PngCheck.isIntact(input, width, height) && !(opaque && PngCheck.hasAlpha(input));
            case "jpeg" -> JpegCheck.isIntact(input, width, height);
            default -> WebpCheck.header(input)
                    .filter(h -> h.width() == width && h.height() == height && !(opaque && h.alpha()))
                    .isPresent();
        };
        return same ? Optional.of(new NormalisedImage(input, format, contentType(format), width, height, false))
                : Optional.empty();
    }

    private static void checkArguments(int width, int height, String format, Optional<Integer> compression,
                                       String background) {
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("output_format must be one of png, jpeg, webp, but was " + format);
        }
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("width and height must be positive, but were " + width + "x" + height);
        }
        Objects.requireNonNull(compression, "compression");
        if (compression.isPresent() && (compression.get() < 0 || compression.get() > 100)) {
            throw new IllegalArgumentException("output_compression must be between 0 and 100, but was " + compression.get());
        }
        if (!BACKGROUNDS.contains(background)) {
            throw new IllegalArgumentException("background must be one of auto, opaque, transparent, but was " + background);
        }
        if (format.equals("jpeg") && background.equals(ImageRequest.BACKGROUND_TRANSPARENT)) {
            throw new IllegalArgumentException("background transparent needs output_format png or webp, but was jpeg");
        }
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
        } catch (IOException | RuntimeException | LinkageError e) {
            // Corrupt data makes ImageIO throw IIOException, but also IllegalArgumentException or
            // ArrayIndexOutOfBoundsException from deep inside a codec; LinkageError: the WebP
            // reader's native library did not load, so this process cannot read the answer.
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

    /** Composites onto white (transparent pixels often hold black) as RGB: for JPEG, which has no alpha, and background opaque. */
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

    /** {@code png}, {@code jpeg}, {@code webp}, or null, from the magic bytes. */
    private static String sniffFormat(byte[] bytes) {
        if (bytes.length >= 8 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G'
                && bytes[4] == '\r' && bytes[5] == '\n' && bytes[6] == 0x1a && bytes[7] == '\n') {
            return "png";
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff) {
            return "jpeg";
        }
        if (WebpCheck.looksLikeWebp(bytes)) {
            return "webp";
        }
        return null;
    }

    private static String contentType(String format) {
        return ImageStore.CONTENT_TYPES.get(format);
    }

    /**
     * A normalised image.
     *
     * @param bytes       the encoded image (the input itself when {@code normalised} is false)
     * @param format      {@code png}, {@code jpeg} or {@code webp}, also the store's extension
     * @param contentType {@code image/png}, {@code image/jpeg} or {@code image/webp}
     * @param width       width in pixels, as requested
     * @param height      height in pixels, as requested
     * @param normalised  whether the image was cropped, resized, flattened or re-encoded
     */
    public record NormalisedImage(byte[] bytes, String format, String contentType, int width, int height,
                                  boolean normalised) {
    }
}
