package dev.imagerouter.sandbox;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.inject.Singleton;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;

/**
 * Renders the emulators' images: real PNG, JPEG or WebP bytes, deterministic from (prompt, seed,
 * width, height).
 *
 * <p>The picture is a diagonal two-colour gradient with four flat shapes (ovals and rectangles);
 * colours, positions and sizes come from SHA-256 of {@code prompt + NUL + seed}. No text, no
 * anti-aliasing, so encoding stays fast (tens of ms for 1024x1024). With alpha (OpenAI's
 * {@code background: transparent}) the gradient is left out: the shapes stand on transparent pixels.
 * WebP goes through the ImageIO writer registered by {@code com.github.usefulness:webp-imageio}
 * (MIME type {@code image/webp}), always lossy so that it stays cheap.
 *
 * <p>Rendering runs on Caffeine's executor (the common fork-join pool), never on the caller's
 * thread; results are cached, bounded by weight to {@value #CACHE_BYTES} bytes, and concurrent
 * requests for the same image share one rendering. Thread-safe.
 */
@Singleton
public class SandboxImages {

    /** Upper bound of the rendered-bytes cache: 64 MiB. */
    public static final long CACHE_BYTES = 64L * 1024 * 1024;

    /** Output encodings; {@code quality} applies to JPEG and WebP. */
    public enum Format {
        PNG, JPEG, WEBP;

        boolean lossy() {
            return this != PNG;
        }
    }

    private volatile boolean flat;

    private record Key(String prompt, long seed, int width, int height, Format format, int quality, boolean flat,
                       boolean alpha) {
    }

    private final AsyncCache<Key, byte[]> cache = Caffeine.newBuilder()
            .maximumWeight(CACHE_BYTES)
            .weigher((Key k, byte[] v) -> v.length)
            .buildAsync();

    /** A PNG of {@code width × height} pixels, rendered asynchronously or from the cache. */
    public CompletableFuture<byte[]> png(String prompt, long seed, int width, int height) {
        return image(prompt, seed, width, height, Format.PNG, 100);
    }

    /**
     * An image in {@code format}; {@code quality} (0–100) applies to JPEG and WebP.
     */
    public CompletableFuture<byte[]> image(String prompt, long seed, int width, int height, Format format, int quality) {
        return image(prompt, seed, width, height, format, quality, false);
    }

    /**
     * As {@link #image(String, long, int, int, Format, int)}; {@code alpha} renders on transparent
     * pixels (PNG and WebP keep them, JPEG has no alpha and must not be asked for it).
     */
    public CompletableFuture<byte[]> image(String prompt, long seed, int width, int height, Format format, int quality,
                                           boolean alpha) {
        boolean flatNow = flat;
        int q = format.lossy() ? quality : 100;
        // Flat images are the same bytes whatever the prompt: a benchmark of fresh requests then stores
        // each image once (the store dedupes by content) and measures the router, not the disk's fsync.
        Key key = flatNow ? new Key("", 0, width, height, format, q, true, alpha)
                : new Key(prompt, seed, width, height, format, q, false, alpha);
        return load(key);
    }

    /**
     * A one-colour image of the colour {@code (prompt, seed)} starts from: OpenAI's partial images
     * while streaming, a cheap stand-in for the final picture at lower detail.
     */
    public CompletableFuture<byte[]> sketch(String prompt, long seed, int width, int height, Format format, int quality,
                                            boolean alpha) {
        return load(new Key(prompt, seed, width, height, format, format.lossy() ? quality : 100, true, alpha));
    }

    private CompletableFuture<byte[]> load(Key key) {
        return cache.get(key, k -> k.flat() ? renderFlat(k.prompt(), k.seed(), k.width(), k.height(), k.format(), k.quality(), k.alpha())
                : render(k.prompt(), k.seed(), k.width(), k.height(), k.format(), k.quality(), k.alpha()));
    }

    /**
     * One-colour images (a few KiB instead of hundreds), one per size and format whatever the prompt:
     * for benchmarks that measure the router's own overhead rather than the cost of moving large
     * images or of storing a new one ({@code router.sandbox.flat-images}).
     */
    public void setFlat(boolean flat) {
        this.flat = flat;
    }

    private static byte[] renderFlat(String prompt, long seed, int width, int height, Format format, int quality,
                                     boolean alpha) {
        byte[] h = sha256(prompt + '\u0000' + seed);
        BufferedImage img = new BufferedImage(width, height, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            Color c = color(h, 0);
            g.setColor(alpha ? new Color(c.getRed(), c.getGreen(), c.getBlue(), 128) : c);
            g.fillRect(0, 0, width, height);
        } finally {
            g.dispose();
        }
        return encode(img, format, quality);
    }

    /** Renders synchronously, bypassing the cache. */
    public static byte[] render(String prompt, long seed, int width, int height, Format format, int quality) {
        return render(prompt, seed, width, height, format, quality, false);
    }

    /** Renders synchronously, bypassing the cache; {@code alpha}: shapes on transparent pixels. */
    public static byte[] render(String prompt, long seed, int width, int height, Format format, int quality, boolean alpha) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("width and height must be positive, but were " + width + "x" + height);
        }
        byte[] h = sha256(prompt + '\u0000' + seed);
        BufferedImage img = new BufferedImage(width, height, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            if (!alpha) {
                g.setPaint(new GradientPaint(0, 0, color(h, 0), width, height, color(h, 3)));
                g.fillRect(0, 0, width, height);
            }
            for (int i = 0; i < 4; i++) {
                int o = 6 + i * 6;
                g.setColor(color(h, o));
                int x = (h[o + 3] & 0xff) * width / 256;
                int y = (h[o + 4] & 0xff) * height / 256;
                int size = Math.max(1, Math.min(width, height) / 8 + (h[o + 5] & 0xff) * Math.min(width, height) / 1024);
                if (i % 2 == 0) {
                    g.fillOval(x - size / 2, y - size / 2, size, size);
                } else {
                    g.fillRect(x - size / 2, y - size / 2, size, size * 2 / 3);
                }
            }
        } finally {
            g.dispose();
        }
        return encode(img, format, quality);
    }

    private static Color color(byte[] h, int offset) {
        return new Color(h[offset] & 0xff, h[offset + 1] & 0xff, h[offset + 2] & 0xff);
    }

    private static byte[] encode(BufferedImage img, Format format, int quality) {
        ImageWriter writer = writer(format);
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        // An explicit memory-cached stream: ImageIO.write would otherwise use a temp file when ImageIO's cache is on.
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (format.lossy()) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                if (format == Format.WEBP) {
                    param.setCompressionType(lossyType(param));
                }
                param.setCompressionQuality(Math.max(0.05f, Math.min(1f, quality / 100f)));
            }
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("rendering a sandbox image failed", e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static ImageWriter writer(Format format) {
        Iterator<ImageWriter> writers = switch (format) {
            case PNG -> ImageIO.getImageWritersByFormatName("png");
            case JPEG -> ImageIO.getImageWritersByFormatName("jpeg");
            case WEBP -> ImageIO.getImageWritersByMIMEType("image/webp");
        };
        if (!writers.hasNext()) {
            throw new IllegalStateException("no ImageIO writer for " + format + " (WebP needs com.github.usefulness:webp-imageio)");
        }
        return writers.next();
    }

    /** The writer's lossy compression type ("Lossy" in webp-imageio), else its first one. */
    private static String lossyType(ImageWriteParam param) {
        String[] types = param.getCompressionTypes();
        for (String t : types) {
            if (t.toLowerCase(java.util.Locale.ROOT).contains("lossy") && !t.toLowerCase(java.util.Locale.ROOT).contains("lossless")) {
                return t;
            }
        }
        return types[0];
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
        }
    }
}
