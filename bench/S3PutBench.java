import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How the S3 store should write an image (bench/s3-store.sh, step 3): against a real S3-compatible
 * server (S3Proxy on loopback), with the client set up as {@code storage.S3Backend} sets it up
 * (Apache HttpClient 5, checksums only when required), for images of the given sizes:
 * <ul>
 *   <li>a new image: HEAD (404) then PUT, against one PUT with {@code If-None-Match: *} (what the
 *       store does);</li>
 *   <li>an image that is there already: the HEAD alone (200, nothing written), against the conditional
 *       PUT (S3 answers 412 before the body with {@code Expect: 100-continue}; S3Proxy ignores the
 *       condition and stores the bytes again, so here it is a whole upload).</li>
 * </ul>
 * Sequential calls on one thread, after a warm-up; prints one line per case with p50/p90/p99 in ms.
 * Usage: {@code java -cp <router jar> bench/S3PutBench.java <endpoint> <bucket> <identity> <credential> <images> <size>...}
 */
public class S3PutBench {

    public static void main(String[] args) throws Exception {
        URI endpoint = URI.create(args[0]);
        if (!endpoint.getHost().equals("127.0.0.1")) {
            throw new IllegalArgumentException("loopback only");
        }
        String bucket = args[1];
        int images = Integer.parseInt(args[4]);
        try (S3Client s3 = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(args[2], args[3])))
                .httpClientBuilder(Apache5HttpClient.builder().connectionTimeout(Duration.ofSeconds(2)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build()) {
            for (int a = 5; a < args.length; a++) {
                int size = Integer.parseInt(args[a]);
                run(s3, bucket, images / 4, size, true); // warm-up: JIT, connections
                run(s3, bucket, images, size, false);
            }
        }
    }

    private static void run(S3Client s3, String bucket, int n, int size, boolean warmUp) {
        long[] headThenPut = new long[n];
        long[] conditional = new long[n];
        long[] headExisting = new long[n];
        long[] conditionalExisting = new long[n];
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu = 0;
        String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        for (int i = 0; i < n; i++) {
            byte[] a = random(size);
            byte[] b = random(size);
            String keyA = "bench/" + run + "/a" + i;
            String keyB = "bench/" + run + "/b" + i;
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            try {
                s3.headObject(h -> h.bucket(bucket).key(keyA));
                throw new IllegalStateException("a new key exists: " + keyA);
            } catch (NoSuchKeyException expected) {
                put(s3, bucket, keyA, a, false);
            }
            long t1 = System.nanoTime();
            put(s3, bucket, keyB, b, true);
            long t2 = System.nanoTime();
            s3.headObject(h -> h.bucket(bucket).key(keyA));
            long t3 = System.nanoTime();
            try {
                put(s3, bucket, keyB, b, true);
            } catch (S3Exception e) {
                if (e.statusCode() != 412) {
                    throw e;
                }
            }
            long t4 = System.nanoTime();
            cpu += threads.getCurrentThreadCpuTime() - c0;
            headThenPut[i] = t1 - t0;
            conditional[i] = t2 - t1;
            headExisting[i] = t3 - t2;
            conditionalExisting[i] = t4 - t3;
        }
        if (!warmUp) {
            System.out.printf(Locale.ROOT, "put size=%d client_cpu_us_per_call=%d (the calling thread's CPU over all 5 calls"
                    + " of each round: 2 HEADs, 3 PUTs)%n", size, cpu / (5L * n) / 1000);
            print("new image, HEAD then PUT", size, headThenPut);
            print("new image, conditional PUT (the store)", size, conditional);
            print("existing image, HEAD only", size, headExisting);
            print("existing image, conditional PUT (the store; S3Proxy re-uploads)", size, conditionalExisting);
        }
    }

    private static void put(S3Client s3, String bucket, String key, byte[] bytes, boolean conditional) {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(key).contentType("image/png")
                .cacheControl("public, max-age=31536000, immutable").contentLength((long) bytes.length);
        if (conditional) {
            request.ifNoneMatch("*");
        }
        s3.putObject(request.build(), RequestBody.fromContentProvider(ContentStreamProvider.fromByteArrayUnsafe(bytes),
                bytes.length, "image/png"));
    }

    private static byte[] random(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    private static void print(String what, int size, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "put size=%d case=\"%s\" n=%d p50=%.2fms p90=%.2fms p99=%.2fms%n", size, what,
                sorted.length, ms(sorted, 0.50), ms(sorted, 0.90), ms(sorted, 0.99));
    }

    private static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e6;
    }
}
