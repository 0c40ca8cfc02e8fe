package dev.imagerouter.provider.openai;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.openai.core.ObjectMappers;
import com.openai.models.images.Image;
import com.openai.models.images.ImagesResponse;
import dev.imagerouter.sandbox.SandboxImages;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * A/B of the OpenAI 200 answer's parse (bench/parse-ab.sh, bench/RESULTS.md "OpenAI answer parse"):
 * A = {@link ImagesResponseReader#read} (one streaming pass, the JDK's base64 decoder on the body
 * bytes), B = the SDK's model ({@code ObjectMappers.jsonMapper().readValue(body, ImagesResponse.class)},
 * then {@code data[i].b64Json()} decoded with {@code java.util.Base64}, plus {@code quality} and all of
 * {@code usage}). Each operation is parse + decode of one whole body already in memory, as
 * {@code OpenAiProvider.readImages} has it. Two bodies, full gpt-image-2 {@code ImagesResponse}s: a
 * flat 1024x1024 PNG of a few KiB (the overhead benchmarks' {@code flat-images}) and a ~1.8 MiB PNG
 * (~2.3 MiB of base64, the size of a real answer).
 *
 * <p>Both variants run in the same JVM and thread, warmed up together, then interleaved in blocks
 * (A then B, B then A, alternating) so that a slow moment of the shared cores falls on both. Each
 * operation is timed on its own, as the thread's CPU time ({@code com.sun.management.ThreadMXBean},
 * not counting the time the thread waits for a core, which on shared cores is most of the wall
 * time's spread) and as wall time ({@code System.nanoTime}); the allocation is the thread's
 * allocated bytes over each block, per operation. The GC threads' work is in neither figure.
 *
 * <p>Not a test (no {@code *Test} name): compiled with the test sources, run by bench/parse-ab.sh.
 * It lives in the reader's package because the reader is package-private.
 *
 * <p>Arguments (all optional): run label, small-body rounds, operations per small block, large-body
 * rounds, operations per large block.
 */
public final class ParseAb {

    private static final JsonMapper SDK = ObjectMappers.jsonMapper();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Keeps every result alive as far as the JIT can tell. */
    static volatile long sink;

    private interface Variant {
        long parse(byte[] body) throws IOException;
    }

    /** A: the hand-written reader. It reads {@code data[].b64_json} and {@code quality}, not {@code usage}. */
    static long reader(byte[] body) {
        ImagesResponseReader.Images images = ImagesResponseReader.read(body);
        long sum = 0;
        for (byte[] png : images.images()) {
            sum += png.length + png[png.length - 1];
        }
        return sum + images.quality().map(String::length).orElse(0);
    }

    /** B: the SDK's model, reading the images, {@code quality} and every {@code usage} figure. */
    static long sdk(byte[] body) throws IOException {
        ImagesResponse response = SDK.readValue(body, ImagesResponse.class);
        long sum = 0;
        for (Image image : response.data().orElseThrow()) {
            byte[] png = Base64.getDecoder().decode(image.b64Json().orElseThrow());
            sum += png.length + png[png.length - 1];
        }
        sum += response.quality().map(q -> q.asString().length()).orElse(0);
        ImagesResponse.Usage usage = response.usage().orElseThrow();
        return sum + usage.inputTokens() + usage.outputTokens() + usage.totalTokens()
                + usage.inputTokensDetails().textTokens() + usage.inputTokensDetails().imageTokens();
    }

    public static void main(String[] args) throws Exception {
        String run = args.length > 0 ? args[0] : "1";
        int smallRounds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int smallBlock = args.length > 2 ? Integer.parseInt(args[2]) : 250;
        int largeRounds = args.length > 3 ? Integer.parseInt(args[3]) : 40;
        int largeBlock = args.length > 4 ? Integer.parseInt(args[4]) : 5;

        byte[] flat = flatPng();
        byte[] realistic = realisticPng();
        byte[] small = body(flat);
        byte[] large = body(realistic);
        check(small, flat);
        check(large, realistic);
        System.out.printf("# run %s: small body %d B (PNG %d B), large body %d B (PNG %d B); %s %s, %d CPUs, max heap %d MiB%n",
                run, small.length, flat.length, large.length, realistic.length, System.getProperty("java.vm.name"),
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);

        Variant a = ParseAb::reader;
        Variant b = ParseAb::sdk;
        // Warm-up: both bodies, both variants, interleaved, before anything is measured.
        long warm = System.nanoTime();
        for (int i = 0; i < 6; i++) {
            measure(small, a, b, 10, 250);
            measure(large, a, b, 2, 5);
        }
        System.out.printf("# run %s: warm-up %.1f s; the clocks read around an empty operation: %.2f us CPU%n",
                run, (System.nanoTime() - warm) / 1e9, clockCost());

        report(run, "small", measure(small, a, b, smallRounds, smallBlock));
        report(run, "large", measure(large, a, b, largeRounds, largeBlock));
        if (sink == 42) {
            System.out.println("#");
        }
    }

    /** Per-operation wall and CPU times (ns) and allocated bytes of A [0] and B [1]. */
    private record Result(long[][] nanos, long[][] cpu, long[] allocated, long[] ops) {
    }

    private static Result measure(byte[] body, Variant a, Variant b, int rounds, int block) throws IOException {
        Variant[] variants = {a, b};
        long[][] nanos = new long[2][rounds * block];
        long[][] cpu = new long[2][rounds * block];
        long[] allocated = new long[2];
        long[] ops = new long[2];
        long local = 0;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int v = (r + k) % 2; // A,B then B,A
                Variant variant = variants[v];
                long before = THREADS.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < block; i++) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    local += variant.parse(body);
                    long t1 = System.nanoTime();
                    cpu[v][r * block + i] = THREADS.getCurrentThreadCpuTime() - c0;
                    nanos[v][r * block + i] = t1 - t0;
                }
                allocated[v] += THREADS.getCurrentThreadAllocatedBytes() - before;
                ops[v] += block;
            }
        }
        sink += local;
        return new Result(nanos, cpu, allocated, ops);
    }

    private static void report(String run, String name, Result result) {
        String[] labels = {"A-reader", "B-sdk"};
        double[] medians = new double[2];
        double[] cpuMedians = new double[2];
        for (int v = 0; v < 2; v++) {
            long[] n = result.nanos()[v].clone();
            long[] c = result.cpu()[v].clone();
            Arrays.sort(n);
            Arrays.sort(c);
            medians[v] = percentile(n, 50);
            cpuMedians[v] = percentile(c, 50);
            System.out.printf("RESULT run=%s case=%s variant=%s n=%d cpu_median_us=%.1f cpu_p10_us=%.1f cpu_p90_us=%.1f"
                            + " wall_median_us=%.1f wall_p10_us=%.1f wall_p90_us=%.1f alloc_mib_per_op=%.3f%n",
                    run, name, labels[v], n.length, cpuMedians[v], percentile(c, 10), percentile(c, 90),
                    medians[v], percentile(n, 10), percentile(n, 90),
                    result.allocated()[v] / (double) result.ops()[v] / (1 << 20));
        }
        System.out.printf("# run %s %s: B - A = %.1f us CPU (B/A %.2f), %.1f us wall (B/A %.2f)%n", run, name,
                cpuMedians[1] - cpuMedians[0], cpuMedians[1] / cpuMedians[0], medians[1] - medians[0], medians[1] / medians[0]);
    }

    /** Median CPU time the two clock reads add to an operation (in every figure, A's and B's alike). */
    private static double clockCost() {
        long[] c = new long[20_000];
        for (int i = 0; i < c.length; i++) {
            long c0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            long t1 = System.nanoTime();
            c[i] = THREADS.getCurrentThreadCpuTime() - c0 + (t1 - t0 < 0 ? 1 : 0);
        }
        Arrays.sort(c);
        return percentile(c, 50);
    }

    private static double percentile(long[] sorted, int p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(p / 100.0 * (sorted.length - 1)))] / 1000.0;
    }

    /** The emulator's flat image: one colour, 1024x1024, a few KiB ({@code router.sandbox.flat-images}). */
    private static byte[] flatPng() {
        SandboxImages images = new SandboxImages();
        images.setFlat(true);
        return images.png("bench", 0, 1024, 1024).join();
    }

    /**
     * The emulator's full image with deterministic low-amplitude noise added to every pixel, so the
     * PNG is the size of a real gpt-image answer (~1.8 MiB; the emulator's own is a few KiB to
     * hundreds of KiB because its shapes compress).
     */
    private static byte[] realisticPng() throws IOException {
        byte[] base = SandboxImages.render("bench", 0, 1024, 1024, SandboxImages.Format.PNG, 100);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(base));
        Random random = new Random(20261205);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = clamp(((rgb >> 16) & 0xff) + random.nextInt(7) - 3);
                int g = clamp(((rgb >> 8) & 0xff) + random.nextInt(7) - 3);
                int bl = clamp((rgb & 0xff) + random.nextInt(7) - 3);
                img.setRGB(x, y, (r << 16) | (g << 8) | bl);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(2 << 20);
        if (!ImageIO.write(img, "png", out)) {
            throw new UncheckedIOException(new IOException("no PNG writer"));
        }
        return out.toByteArray();
    }

    private static int clamp(int c) {
        return Math.max(0, Math.min(255, c));
    }

    /** A gpt-image-2 answer as OpenAI sends it (API reference field order), one image. */
    private static byte[] body(byte[] png) {
        return ("{\"created\":1764892800,\"background\":\"opaque\",\"data\":[{\"b64_json\":\""
                + Base64.getEncoder().encodeToString(png) + "\"}],\"output_format\":\"png\",\"quality\":\"medium\","
                + "\"size\":\"1024x1024\",\"usage\":{\"input_tokens\":50,\"input_tokens_details\":{\"image_tokens\":0,"
                + "\"text_tokens\":50},\"output_tokens\":1056,\"total_tokens\":1106}}").getBytes(StandardCharsets.UTF_8);
    }

    /** Both variants give the same image, byte for byte, and B the usage. */
    private static void check(byte[] body, byte[] png) throws IOException {
        List<byte[]> fromReader = new ArrayList<>(ImagesResponseReader.read(body).images());
        ImagesResponse response = SDK.readValue(body, ImagesResponse.class);
        byte[] fromSdk = Base64.getDecoder().decode(response.data().orElseThrow().get(0).b64Json().orElseThrow());
        if (fromReader.size() != 1 || !Arrays.equals(fromReader.get(0), png) || !Arrays.equals(fromSdk, png)
                || response.usage().orElseThrow().totalTokens() != 1106
                || !"medium".equals(ImagesResponseReader.read(body).quality().orElse(null))) {
            throw new IllegalStateException("the variants disagree");
        }
    }
}
