/*
 * A small load generator for the image-router benchmarks. Single file, JDK only:
 *   java bench/LoadGen.java rate  <url> <body-file> <requests-per-second> <seconds> [Header:Value ...]
 *   java bench/LoadGen.java burst <url> <body-file> <concurrent-requests> [Header:Value ...]
 *
 * rate:  open loop at a fixed rate; each latency is measured from the request's scheduled start, so
 *        a slow server cannot hide its queueing (no coordinated omission). The first 3 s
 *        (-Dwarmup=N) are sent at the same rate and not counted: this JVM starts cold. A body
 *        containing {seq} gets a number unique to each request there (a new request hash each time).
 * burst: starts N requests at once and waits for all of them (bounded by 120 s).
 * Prints one JSON line: counts, achieved rate and latency percentiles in milliseconds.
 * Loopback only by intent: it refuses any host other than 127.0.0.1 or localhost.
 */

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

public class LoadGen {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        URI uri = URI.create(args[1]);
        if (!uri.getHost().equals("127.0.0.1") && !uri.getHost().equals("localhost")) {
            throw new IllegalArgumentException("loopback targets only");
        }
        byte[] body = Files.readAllBytes(Path.of(args[2]));
        int headerStart = mode.equals("rate") ? 5 : 4;
        List<String> headers = new ArrayList<>(Arrays.asList(args).subList(Math.min(headerStart, args.length), args.length));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(2)).build();
        if (mode.equals("rate")) {
            int rps = Integer.parseInt(args[3]);
            int warmUp = Integer.getInteger("warmup", 3);
            if (warmUp > 0) {
                // The load generator's own JVM starts cold: its first seconds would measure its own
                // interpreter and JIT, so they are sent at the same rate and not counted.
                rate(client, uri, body, headers, rps, warmUp, false);
            }
            rate(client, uri, body, headers, rps, Integer.parseInt(args[4]), true);
        } else {
            burst(client, uri, body, headers, Integer.parseInt(args[3]));
        }
        System.exit(0);
    }

    static HttpRequest request(URI uri, byte[] body, List<String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (String h : headers) {
            int i = h.indexOf(':');
            b.header(h.substring(0, i).trim(), h.substring(i + 1).trim());
        }
        return b.build();
    }

    static void rate(HttpClient client, URI uri, byte[] body, List<String> headers, int rps, int seconds, boolean print)
            throws Exception {
        HttpRequest request = request(uri, body, headers);
        boolean perRequest = new String(body, StandardCharsets.UTF_8).contains("{seq}");
        long runId = System.nanoTime();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong errors = new AtomicLong();
        AtomicLong statusErrors = new AtomicLong();
        long total = (long) rps * seconds;
        long intervalNanos = 1_000_000_000L / rps;
        long cpuStart = processCpuNanos();
        long start = System.nanoTime() + 50_000_000L;
        List<CompletableFuture<?>> all = new ArrayList<>();
        // One sender thread that sleeps until each request's scheduled time: one wake-up per request
        // (a 200 µs ticker cost this process more CPU than the router it was measuring).
        Thread sender = new Thread(() -> {
            for (long i = 0; i < total; i++) {
                long scheduled = start + i * intervalNanos;
                for (long wait = scheduled - System.nanoTime(); wait > 0; wait = scheduled - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                HttpRequest next = perRequest ? request(uri, new String(body, StandardCharsets.UTF_8)
                        .replace("{seq}", runId + "-" + i).getBytes(StandardCharsets.UTF_8), headers) : request;
                all.add(client.sendAsync(next, HttpResponse.BodyHandlers.discarding())
                        .whenComplete((r, e) -> {
                            if (e != null) {
                                errors.incrementAndGet();
                            } else if (r.statusCode() != 200) {
                                if (statusErrors.incrementAndGet() == 1) {
                                    System.err.println("first non-200: " + r.statusCode());
                                }
                            } else {
                                latencies.add(System.nanoTime() - scheduled);
                            }
                        }));
            }
        }, "sender");
        sender.start();
        sender.join(TimeUnit.SECONDS.toMillis(seconds + 60L));
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(120, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (print) {
            report("rate", rps, total, latencies, errors.get(), statusErrors.get(), elapsed,
                    (processCpuNanos() - cpuStart) / 1000 / Math.max(1, total));
        }
    }

    static void burst(HttpClient client, URI uri, byte[] body, List<String> headers, int n) throws Exception {
        HttpRequest request = request(uri, body, headers);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong errors = new AtomicLong();
        AtomicLong statusErrors = new AtomicLong();
        long start = System.nanoTime();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                if (e != null) {
                    errors.incrementAndGet();
                } else if (r.statusCode() != 200) {
                    statusErrors.incrementAndGet();
                } else {
                    latencies.add(System.nanoTime() - start);
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).get(180, TimeUnit.SECONDS);
        report("burst", n, n, latencies, errors.get(), statusErrors.get(), (System.nanoTime() - start) / 1e9, -1);
    }

    /** CPU time of this load generator's process so far, in nanoseconds. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static void report(String mode, long target, long total, ConcurrentLinkedQueue<Long> latencies, long errors,
                       long statusErrors, double seconds, long loadgenCpuMicrosPerRequest) {
        long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("{\"mode\":\"%s\",\"target\":%d,\"sent\":%d,\"ok\":%d,\"errors\":%d,\"non_200\":%d,"
                        + "\"seconds\":%.2f,\"achieved_rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"loadgen_cpu_us\":%d}%n",
                mode, target, total, l.length, errors, statusErrors, seconds, l.length / seconds,
                pct(l, 50), pct(l, 90), pct(l, 99), l.length == 0 ? 0 : l[l.length - 1] / 1e6, loadgenCpuMicrosPerRequest);
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
