import dev.imagerouter.sandbox.SandboxImages;
import dev.imagerouter.storage.ImageNormaliser;

import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * What one console thumbnail costs: the history's call of the normaliser (decode the stored image,
 * resize to 256 px on the long side, encode WebP q0.80, or JPEG q0.80 where WebP does not load),
 * median milliseconds per thumbnail and the bytes against the stored image's, for stored PNG, JPEG
 * and WebP images of 1024x1024 and 1536x1024. One thread, in process, no HTTP, no file I/O.
 *
 * <p>The picture is {@code ImageEncode}'s (the sandbox's rendering with texture and pixel noise, as a
 * generated picture has texture everywhere). Rounds interleave the variants; the first rounds warm
 * the JIT and are not counted.
 *
 * <p>Usage (after {@code ./mvnw -B -q -DskipTests package}):
 * {@code java -cp target/image-router-0.1.0-SNAPSHOT.jar bench/Thumbnail.java [rounds] [warm-up rounds]}
 * (defaults 20 and 3; about a minute on 2 cores).
 */
public final class Thumbnail {

    private record Source(String name, byte[] bytes, int width, int height) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ImageNormaliser normaliser = new ImageNormaliser();
        List<Source> sources = new java.util.ArrayList<>();
        for (int[] size : new int[][]{{1024, 1024}, {1536, 1024}}) {
            BufferedImage picture = picture(size[0], size[1]);
            byte[] png = png(picture);
            String label = size[0] + "x" + size[1];
            sources.add(new Source(label + " png", png, size[0], size[1]));
            sources.add(new Source(label + " jpeg q0.92", normaliser.normalise(png, size[0], size[1], "jpeg").bytes(), size[0], size[1]));
            sources.add(new Source(label + " webp q0.90", normaliser.normalise(png, size[0], size[1], "webp").bytes(), size[0], size[1]));
        }
        String[] formats = {"webp", "jpeg"};
        double[][][] millis = new double[sources.size()][formats.length][rounds];
        long[][] bytes = new long[sources.size()][formats.length];
        for (int round = -warmUp; round < rounds; round++) {
            for (int s = 0; s < sources.size(); s++) {
                Source source = sources.get(s);
                int tw = source.width() >= source.height() ? 256 : Math.round(256f * source.width() / source.height());
                int th = source.height() >= source.width() ? 256 : Math.round(256f * source.height() / source.width());
                for (int f = 0; f < formats.length; f++) {
                    long start = System.nanoTime();
                    byte[] out = normaliser.normalise(source.bytes(), tw, th, formats[f], Optional.of(80), "auto").bytes();
                    long nanos = System.nanoTime() - start;
                    if (round >= 0) {
                        millis[s][f][round] = nanos / 1e6;
                        bytes[s][f] = out.length;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%-22s %10s %-6s %10s %12s%n", "stored image", "bytes", "thumb", "median ms", "thumb bytes");
        for (int s = 0; s < sources.size(); s++) {
            for (int f = 0; f < formats.length; f++) {
                double[] m = millis[s][f].clone();
                Arrays.sort(m);
                System.out.printf(Locale.ROOT, "%-22s %10d %-6s %10.1f %12d%n", sources.get(s).name(), sources.get(s).bytes().length,
                        formats[f], m[m.length / 2], bytes[s][f]);
            }
        }
    }

    private static BufferedImage picture(int width, int height) throws IOException {
        byte[] png = SandboxImages.render("a lighthouse on a cliff at dusk", 7, width, height, SandboxImages.Format.PNG, 100);
        BufferedImage base = ImageIO.read(new ByteArrayInputStream(png));
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(1);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = base.getRGB(x, y);
                double texture = 12 * Math.sin(x / 23.0) * Math.cos(y / 31.0) + 8 * Math.sin((x + y) / 7.0);
                int r = clamp(((rgb >> 16) & 0xff) + texture + random.nextGaussian() * 2.5);
                int g = clamp(((rgb >> 8) & 0xff) + texture + random.nextGaussian() * 2.5);
                int b = clamp((rgb & 0xff) + texture + random.nextGaussian() * 2.5);
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return image;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            ImageIO.write(image, "png", stream);
        }
        return out.toByteArray();
    }
}
