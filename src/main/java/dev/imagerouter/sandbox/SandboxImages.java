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
import java.util.concurrent.CompletableFuture;

/**
 * Renders the emulators' images: real PNG (or JPEG) bytes, deterministic from (prompt, seed,
 * width, height).
 *
 * <p>The picture is a diagonal two-colour gradient with four flat shapes (ovals and rectangles);
 * colours, positions and sizes come from SHA-256 of {@code prompt + NUL + seed}. No text, no
 * anti-aliasing, so encoding stays fast (tens of ms for 1024x1024).
 *
 * <p>Rendering runs on Caffeine's executor (the common fork-join pool), never on the caller's
 * thread; results are cached, bounded by weight to {@value #CACHE_BYTES} bytes, and concurrent
 * requests for the same image share one rendering. Thread-safe.
 */
@Singleton
public class SandboxImages {

    /** Upper bound of the rendered-bytes cache: 64 MiB. */
    public static final long CACHE_BYTES = 64L * 1024 * 1024;

    /** Output encodings. WebP has no ImageIO writer, so the OpenAI emulator answers PNG bytes for it. */
    public enum Format {
        PNG, JPEG
    }

    private volatile boolean flat;

    private record Key(String prompt, long seed, int width, int height, Format format, int quality, boolean flat) {
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
     * An image in {@code format}; {@code quality} (0–100) applies to JPEG only.
     */
    public CompletableFuture<byte[]> image(String prompt, long seed, int width, int height, Format format, int quality) {
        boolean flatNow = flat;
        // Flat images are the same bytes whatever the prompt: a benchmark of fresh requests then stores
        // each image once (the store dedupes by content) and measures the router, not the disk's fsync.
        Key key = flatNow ? new Key("", 0, width, height, format, format == Format.JPEG ? quality : 100, true)
                : new Key(prompt, seed, width, height, format, format == Format.JPEG ? quality : 100, false);
        return cache.get(key, k -> flatNow ? renderFlat(k.prompt(), k.seed(), k.width(), k.height(), k.format(), k.quality())
                : render(k.prompt(), k.seed(), k.width(), k.height(), k.format(), k.quality()));
    }

    /**
     * One-colour images (a few KiB instead of hundreds), one per size and format whatever the prompt:
     * for benchmarks that measure the router's own overhead rather than the cost of moving large
     * images or of storing a new one ({@code router.sandbox.flat-images}).
     */
    public void setFlat(boolean flat) {
        this.flat = flat;
    }

    private static byte[] renderFlat(String prompt, long seed, int width, int height, Format format, int quality) {
        byte[] h = sha256(prompt + '\u0000' + seed);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(color(h, 0));
            g.fillRect(0, 0, width, height);
        } finally {
            g.dispose();
        }
        return encode(img, format, quality);
    }

    /** Renders synchronously, bypassing the cache. */
    public static byte[] render(String prompt, long seed, int width, int height, Format format, int quality) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("width and height must be positive, but were " + width + "x" + height);
        }
        byte[] h = sha256(prompt + '\u0000' + seed);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setPaint(new GradientPaint(0, 0, color(h, 0), width, height, color(h, 3)));
            g.fillRect(0, 0, width, height);
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
        ImageWriter writer = ImageIO.getImageWritersByFormatName(format == Format.JPEG ? "jpeg" : "png").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        // An explicit memory-cached stream: ImageIO.write would otherwise use a temp file when ImageIO's cache is on.
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (format == Format.JPEG) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
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

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
        }
    }
}
