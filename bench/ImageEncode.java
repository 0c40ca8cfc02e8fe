import dev.imagerouter.sandbox.SandboxImages;
import dev.imagerouter.storage.ImageNormaliser;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
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
 * What encoding one generated image costs in each output format: median milliseconds per encode
 * and the output's bytes, for a 1024x1024 and a 1536x1024 picture, plus the fidelity of the lossy
 * encodings (PSNR against the source, in dB, higher is closer; ~40 dB and above is visually
 * lossless on such pictures). One thread, in process, no HTTP.
 *
 * <p>The picture is the sandbox's rendering (gradient and flat shapes) with a smooth texture and
 * pixel noise (sigma 2.5) on top: flat shapes alone compress unrealistically well, a generated
 * picture has texture everywhere. The encoders are set up as {@code ImageNormaliser}'s (ImageIO,
 * JDK PNG and JPEG writers, webp-imageio's libwebp writer); the "normalise" rows run the
 * production path (decode, centre-crop, resize, encode) for OpenAI's 1536x1024 answer to a 1536x864
 * request. Every variant runs once per round, rounds interleave the variants, the first rounds
 * warm the JIT and are not counted.
 *
 * <p>Usage (after {@code ./mvnw -B -q -DskipTests package}):
 * {@code java -cp target/image-router-0.1.0-SNAPSHOT.jar bench/ImageEncode.java [rounds] [warm-up rounds]}
 * (defaults 30 and 3; about 2.5 minutes on 2 cores).
 */
public final class ImageEncode {

    private record Variant(String name, String format, String type, float quality) {
    }

    private static final List<Variant> VARIANTS = List.of(
            new Variant("png", "png", null, 0),
            new Variant("jpeg q0.92 (default)", "jpeg", null, 0.92f),
            new Variant("webp lossy q0.80", "webp", "Lossy", 0.80f),
            new Variant("webp lossy q0.90 (default)", "webp", "Lossy", 0.90f),
            new Variant("webp lossy q1.00 (OpenAI's default 100)", "webp", "Lossy", 1.00f),
            new Variant("webp lossless (effort 0.75)", "webp", "Lossless", 0.75f));

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int[][] sizes = {{1024, 1024}, {1536, 1024}};
        BufferedImage[] pictures = new BufferedImage[sizes.length];
        for (int s = 0; s < sizes.length; s++) {
            pictures[s] = picture(sizes[s][0], sizes[s][1]);
        }
        byte[] openAiPng = png(pictures[1]);
        byte[] openAiWebp = encode(pictures[1], VARIANTS.get(3));
        ImageNormaliser normaliser = new ImageNormaliser();

        int cells = sizes.length * VARIANTS.size() + 3;
        long[][] nanos = new long[cells][rounds];
        int[] bytes = new int[cells];
        for (int round = 0; round < warmUp + rounds; round++) {
            int cell = 0;
            for (int s = 0; s < sizes.length; s++) {
                for (Variant v : VARIANTS) {
                    long start = System.nanoTime();
                    byte[] out = encode(pictures[s], v);
                    record(nanos, bytes, cell++, round - warmUp, System.nanoTime() - start, out);
                }
            }
            long start = System.nanoTime();
            byte[] out = normaliser.normalise(openAiPng, 1536, 864, "png").bytes();
            record(nanos, bytes, cell++, round - warmUp, System.nanoTime() - start, out);
            start = System.nanoTime();
            out = normaliser.normalise(openAiPng, 1536, 864, "webp", Optional.empty(), "auto").bytes();
            record(nanos, bytes, cell++, round - warmUp, System.nanoTime() - start, out);
            start = System.nanoTime();
            out = normaliser.normalise(openAiWebp, 1536, 864, "webp", Optional.empty(), "auto").bytes();
            record(nanos, bytes, cell++, round - warmUp, System.nanoTime() - start, out);
        }

        System.out.printf(Locale.ROOT, "%d rounds after %d warm-up rounds, %s %s, %d cpus%n", rounds, warmUp,
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.println("| image | output | median ms | p90 ms | bytes | bytes / png | PSNR dB |");
        System.out.println("|---|---|---|---|---|---|---|");
        int cell = 0;
        for (int s = 0; s < sizes.length; s++) {
            int pngBytes = bytes[cell];
            for (Variant v : VARIANTS) {
                String psnr = v.format().equals("png") || v.type() != null && v.type().equals("Lossless") ? "lossless"
                        : String.format(Locale.ROOT, "%.1f", psnr(pictures[s], ImageIO.read(new ByteArrayInputStream(encode(pictures[s], v)))));
                row(sizes[s][0] + "x" + sizes[s][1], v.name(), nanos[cell], bytes[cell], pngBytes, psnr);
                cell++;
            }
        }
        int pngBytes = bytes[cell];
        row("1536x1024 png", "normalise() to 1536x864 png", nanos[cell], bytes[cell++], pngBytes, "lossless");
        row("1536x1024 png", "normalise() to 1536x864 webp (default)", nanos[cell], bytes[cell++], pngBytes, "");
        row("1536x1024 webp", "normalise() to 1536x864 webp (default)", nanos[cell], bytes[cell++], pngBytes, "");
    }

    private static void record(long[][] nanos, int[] bytes, int cell, int round, long elapsed, byte[] out) {
        if (round >= 0) {
            nanos[cell][round] = elapsed;
        }
        bytes[cell] = out.length;
    }

    private static void row(String image, String output, long[] nanos, int bytes, int pngBytes, String psnr) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
        double p90 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.9) - 1)];
        System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.1f | %,d | %.2f | %s |%n", image, output, median / 1e6, p90 / 1e6,
                bytes, (double) bytes / pngBytes, psnr);
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

    private static byte[] encode(BufferedImage image, Variant v) throws IOException {
        if (v.format().equals("png")) {
            return png(image);
        }
        ImageWriter writer = v.format().equals("jpeg") ? ImageIO.getImageWritersByFormatName("jpeg").next()
                : ImageIO.getImageWritersByMIMEType("image/webp").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            if (v.type() != null) {
                param.setCompressionType(v.type());
            }
            param.setCompressionQuality(v.quality());
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** Peak signal-to-noise ratio over the RGB channels, in dB. */
    private static double psnr(BufferedImage a, BufferedImage b) {
        double sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    int d = ((p >> shift) & 0xff) - ((q >> shift) & 0xff);
                    sum += d * d;
                }
            }
        }
        double mse = sum / (3.0 * a.getWidth() * a.getHeight());
        return 10 * Math.log10(255.0 * 255.0 / mse);
    }
}
