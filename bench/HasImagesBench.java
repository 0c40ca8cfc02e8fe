import dev.imagerouter.settings.StorageSettings;
import dev.imagerouter.storage.ImageStore;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one store call on the cache-hit path, {@code ImageStore.hasImages} (bench/s3-store.sh, step 4):
 * nanoseconds per call for a record of one image, on the local directory (one {@code stat}) and on an
 * S3-compatible bucket (no request: images are trusted once written or seen), in one JVM, alternating
 * local, s3, local, s3 so that neither gets the JIT's later code alone. The script reads S3Proxy's CPU
 * around this run: a call that made requests would show there.
 * Credentials: the system properties {@code aws.accessKeyId}/{@code aws.secretAccessKey} (the SDK's chain).
 * Usage: {@code java -cp <router jar> bench/HasImagesBench.java <endpoint> <bucket> <work dir> <calls>}
 */
public class HasImagesBench {

    public static void main(String[] args) {
        String endpoint = args[0];
        if (!endpoint.startsWith("http://127.0.0.1:")) {
            throw new IllegalArgumentException("loopback only");
        }
        Path dir = Path.of(args[2]);
        long calls = Long.parseLong(args[3]);
        StorageSettings local = new StorageSettings(dir.resolve("local"), "");
        StorageSettings s3 = new StorageSettings(dir.resolve("s3"), "")
                .withS3(new StorageSettings.S3(endpoint, args[1], "us-east-1", true, "hasimages-bench/", 4));
        for (int round = 0; round < 2; round++) {
            run("local", local, calls, round == 0);
            run("s3", s3, calls, round == 0);
        }
    }

    private static void run(String name, StorageSettings settings, long calls, boolean warmUp) {
        try (ImageStore store = new ImageStore(settings)) {
            byte[] bytes = new byte[7_000];
            ThreadLocalRandom.current().nextBytes(bytes);
            ImageStore.StoredImage image = store.put(bytes, "png");
            ImageStore.GenerationRecord record = new ImageStore.GenerationRecord("a".repeat(64), List.of(image), "bench",
                    "bench", Instant.now(), false, Optional.empty());
            long whole = 0;
            long t0 = System.nanoTime();
            for (long i = 0; i < calls; i++) {
                if (store.hasImages(record)) {
                    whole++;
                }
            }
            long nanos = System.nanoTime() - t0;
            if (whole != calls) {
                throw new IllegalStateException(name + ": the image was not there " + (calls - whole) + " times");
            }
            System.out.printf(Locale.ROOT, "hasImages backend=%s%s calls=%d ns_per_call=%.1f%n", name,
                    warmUp ? " (first round, JIT warming)" : "", calls, (double) nanos / calls);
        }
    }
}
