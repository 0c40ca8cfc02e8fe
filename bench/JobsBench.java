/*
 * Client of the asynchronous-jobs benchmarks (bench/jobs-limits.sh, bench/jobs-overhead.sh). Single
 * file, JDK only; compiled once per run like LoadGen. Loopback only by intent.
 *
 *   java JobsBench async    <base-url> <n> <submitters> <tag> <deadline-seconds>
 *       Submits n jobs (POST /v1/images/generations with Prefer: respond-async, a fresh prompt each)
 *       from <submitters> threads, and follows every job on its events stream
 *       (GET /v1/images/jobs/{id}/events) from its 202 on, until its terminal event. Reports the time
 *       to submit all n, the time until all ended, the outcome and provider of each, and the client's
 *       view of each job's queue wait (its 202 to its attempt_started event).
 *   java JobsBench sync     <base-url> <n> <concurrency> <tag>
 *       The same n requests without Prefer (synchronous), at most <concurrency> in flight: status
 *       codes, the provider that answered, latency.
 *   java JobsBench overhead <base-url> <rounds> <warm-up-rounds> <tag> <poll-ms> <gap-ms>
 *       Rounds of three requests, each with a fresh prompt, in turn: synchronous; asynchronous with
 *       GET /v1/images/jobs/{id} every <poll-ms> from the 202 until it shows succeeded;
 *       asynchronous watched on its events stream until the succeeded event. Latency of each from the
 *       send of the POST to the moment the client has the answer / sees the job succeeded. Two
 *       asynchronous creates are sent at least <gap-ms> apart (0: back to back).
 *
 * Environment: BENCH_AUTH, the Authorization header's value. Prints one JSON line; progress to stderr.
 */

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

public class JobsBench {

    static final Pattern ID = Pattern.compile("\"id\":\"(job_[0-9a-f]+)\"");
    static final Pattern STATUS = Pattern.compile("\"status\":\"([a-z]+)\"");
    /** The first "provider" of an answer or a finished job is result.router.provider (the trail comes after it). */
    static final Pattern ROUTER_PROVIDER = Pattern.compile("\"router\":\\{\"provider\":\"([^\"]+)\"");
    static final Pattern ERROR_CODE = Pattern.compile("\"code\":\"([^\"]+)\"");

    static String base;
    static String auth;
    static HttpClient client;

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        base = args[1];
        URI uri = URI.create(base);
        if (!uri.getHost().equals("127.0.0.1") && !uri.getHost().equals("localhost")) {
            throw new IllegalArgumentException("loopback targets only");
        }
        auth = System.getenv().getOrDefault("BENCH_AUTH", "");
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(4)).build();
        switch (mode) {
            case "async" -> async(Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4], Integer.parseInt(args[5]));
            case "sync" -> sync(Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4]);
            case "overhead" -> overhead(Integer.parseInt(args[2]), Integer.parseInt(args[3]), args[4], Integer.parseInt(args[5]),
                    Integer.parseInt(args[6]));
            default -> throw new IllegalArgumentException("mode is async, sync or overhead, not " + mode);
        }
        System.exit(0);
    }

    // ---- requests ----

    static String body(String prompt) {
        return "{\"prompt\":\"" + prompt + "\",\"size\":\"1024x1024\"}";
    }

    static HttpRequest post(String prompt, boolean async) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/images/generations"))
                .timeout(Duration.ofSeconds(300)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(prompt)));
        if (async) {
            b.header("Prefer", "respond-async");
        }
        return withAuth(b).build();
    }

    static HttpRequest get(String path) {
        return withAuth(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(900)).GET()).build();
    }

    static HttpRequest.Builder withAuth(HttpRequest.Builder b) {
        return auth.isEmpty() ? b : b.header("Authorization", auth);
    }

    static String find(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group(1) : null;
    }

    static boolean terminal(String status) {
        return "succeeded".equals(status) || "failed".equals(status) || "cancelled".equals(status);
    }

    // ---- async: many jobs, each followed on its events stream ----

    /** One job as the client saw it; times are System.nanoTime(). */
    static final class Job {
        final int index;
        volatile long sent;
        volatile long accepted;
        volatile int createStatus;
        volatile String id;
        volatile long attemptStarted;      // 0: not seen on the stream
        volatile boolean runningAtSubscribe; // the stream's first event already said running (admitted before it opened)
        volatile long ended;
        volatile String status;
        volatile String provider;
        volatile String errorCode;
        volatile boolean polledToEnd;       // the stream ended early and GET polling finished the job

        Job(int index) {
            this.index = index;
        }
    }

    static void async(int n, int submitters, String tag, int deadlineSeconds) throws Exception {
        Job[] jobs = new Job[n];
        for (int i = 0; i < n; i++) {
            jobs[i] = new Job(i);
        }
        ExecutorService watchers = Executors.newCachedThreadPool();
        ExecutorService senders = Executors.newFixedThreadPool(submitters);
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        for (int s = 0; s < submitters; s++) {
            senders.execute(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    Job job = jobs[i];
                    job.sent = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(post("jobs limits " + tag + " " + i, true),
                                HttpResponse.BodyHandlers.ofString());
                        job.accepted = System.nanoTime();
                        job.createStatus = r.statusCode();
                        job.id = find(ID, r.body());
                        if (r.statusCode() == 202 && job.id != null) {
                            String status = find(STATUS, r.body());
                            if (terminal(status)) {
                                finish(job, status, r.body(), job.accepted);
                            } else {
                                watchers.execute(() -> watch(job, start + TimeUnit.SECONDS.toNanos(deadlineSeconds)));
                            }
                        } else {
                            job.status = "create_" + r.statusCode();
                            job.ended = job.accepted;
                            System.err.println("job " + i + ": create answered " + r.statusCode() + " " + r.body());
                        }
                    } catch (Exception e) {
                        job.accepted = System.nanoTime();
                        job.status = "create_error";
                        job.ended = job.accepted;
                        System.err.println("job " + i + ": create failed: " + e);
                    }
                }
            });
        }
        senders.shutdown();
        senders.awaitTermination(deadlineSeconds, TimeUnit.SECONDS);
        long submitted = System.nanoTime();
        System.err.printf("# %d jobs submitted in %.2f s%n", n, (submitted - start) / 1e9);
        // progress once a minute, until every job ended or the deadline
        long deadline = start + TimeUnit.SECONDS.toNanos(deadlineSeconds);
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            long done = Arrays.stream(jobs).filter(j -> j.ended != 0).count();
            if (done == n) {
                break;
            }
            if (System.nanoTime() >= nextReport) {
                System.err.printf("# %.0f s: %d of %d jobs ended%n", (System.nanoTime() - start) / 1e9, done, n);
                nextReport += TimeUnit.SECONDS.toNanos(30);
            }
            Thread.sleep(50);
        }
        watchers.shutdownNow();

        Map<String, Integer> statuses = new TreeMap<>();
        Map<String, Integer> providers = new TreeMap<>();
        Map<String, Integer> errors = new TreeMap<>();
        List<Long> queueWaits = new ArrayList<>();
        List<Long> totals = new ArrayList<>();
        List<Long> creates = new ArrayList<>();
        int runningAtSubscribe = 0;
        int polled = 0;
        long lastEnd = 0;
        long lastAccepted = 0;
        for (Job j : jobs) {
            statuses.merge(j.status == null ? "unfinished" : j.status, 1, Integer::sum);
            if (j.provider != null) {
                providers.merge(j.provider, 1, Integer::sum);
            }
            if (j.errorCode != null) {
                errors.merge(j.errorCode, 1, Integer::sum);
            }
            if (j.accepted != 0) {
                creates.add(j.accepted - j.sent);
                lastAccepted = Math.max(lastAccepted, j.accepted);
            }
            if (j.attemptStarted != 0) {
                queueWaits.add(j.attemptStarted - j.accepted);
            }
            runningAtSubscribe += j.runningAtSubscribe ? 1 : 0;
            polled += j.polledToEnd ? 1 : 0;
            if (j.ended != 0) {
                totals.add(j.ended - j.sent);
                lastEnd = Math.max(lastEnd, j.ended);
            }
        }
        // jobs ended per minute since the first send
        Map<Integer, Integer> perMinute = new TreeMap<>();
        for (Job j : jobs) {
            if (j.ended != 0) {
                perMinute.merge((int) ((j.ended - start) / 60_000_000_000L) + 1, 1, Integer::sum);
            }
        }
        StringBuilder out = new StringBuilder("{\"mode\":\"async\"");
        field(out, "jobs", n);
        field(out, "submitters", submitters);
        field(out, "submit_s", secs(lastAccepted - start));
        field(out, "all_ended_s", lastEnd == 0 ? "null" : secs(lastEnd - start));
        field(out, "statuses", json(statuses));
        field(out, "providers", json(providers));
        field(out, "error_codes", json(errors));
        field(out, "create_ms", percentiles(creates, 1e6));
        field(out, "client_queue_wait_s", percentiles(queueWaits, 1e9));
        field(out, "queue_wait_seen", queueWaits.size());
        field(out, "running_when_stream_opened", runningAtSubscribe);
        field(out, "stream_ended_early_polled", polled);
        field(out, "job_total_s", percentiles(totals, 1e9));
        field(out, "ended_per_minute", json(perMinute));
        System.out.println(out.append('}'));
    }

    /** Follows one job's events stream to its terminal event; polls GET if the stream ends before it. */
    static void watch(Job job, long deadline) {
        try {
            HttpResponse<Stream<String>> r = client.send(get("/v1/images/jobs/" + job.id + "/events"),
                    HttpResponse.BodyHandlers.ofLines());
            String event = null;
            boolean first = true;
            try (Stream<String> lines = r.body()) {
                Iterator<String> it = lines.iterator();
                while (it.hasNext()) {
                    String line = it.next();
                    long now = System.nanoTime();
                    if (line.startsWith("event:")) {
                        event = line.substring(6).trim();
                        if (event.equals("attempt_started") && job.attemptStarted == 0) {
                            job.attemptStarted = now;
                        }
                    } else if (line.startsWith("data:") && event != null) {
                        String data = line.substring(5).trim();
                        if (first && event.equals("job") && !"queued".equals(find(STATUS, data))) {
                            job.runningAtSubscribe = true;
                        }
                        first = false;
                        if (terminal(event)) {
                            finish(job, event, data, now);
                            return;
                        }
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("job " + job.index + ": events stream failed: " + e);
        } catch (InterruptedException e) {
            return;
        }
        poll(job, deadline, 200);
    }

    static void poll(Job job, long deadline, long everyMillis) {
        job.polledToEnd = true;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = client.send(get("/v1/images/jobs/" + job.id), HttpResponse.BodyHandlers.ofString());
                String status = find(STATUS, r.body());
                if (terminal(status)) {
                    finish(job, status, r.body(), System.nanoTime());
                    return;
                }
                Thread.sleep(everyMillis);
            } catch (IOException e) {
                System.err.println("job " + job.index + ": GET failed: " + e);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static void finish(Job job, String status, String document, long when) {
        job.status = status;
        job.provider = find(ROUTER_PROVIDER, document);
        if (!"succeeded".equals(status)) {
            job.errorCode = find(ERROR_CODE, document);
        }
        job.ended = when;
    }

    // ---- sync: the same requests without Prefer ----

    static void sync(int n, int concurrency, String tag) throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(concurrency);
        AtomicInteger next = new AtomicInteger();
        Map<String, Integer> statuses = new ConcurrentHashMap<>();
        Map<String, Integer> providers = new ConcurrentHashMap<>();
        Map<String, Integer> errors = new ConcurrentHashMap<>();
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        for (int s = 0; s < concurrency; s++) {
            senders.execute(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(post("jobs sync " + tag + " " + i, false),
                                HttpResponse.BodyHandlers.ofString());
                        latencies.add(System.nanoTime() - t0);
                        statuses.merge(String.valueOf(r.statusCode()), 1, Integer::sum);
                        if (r.statusCode() == 200) {
                            String provider = find(ROUTER_PROVIDER, r.body());
                            providers.merge(provider == null ? "unknown" : provider, 1, Integer::sum);
                        } else {
                            String code = find(ERROR_CODE, r.body());
                            errors.merge(r.statusCode() + " " + (code == null ? "" : code), 1, Integer::sum);
                        }
                    } catch (Exception e) {
                        statuses.merge("error", 1, Integer::sum);
                        System.err.println("request " + i + " failed: " + e);
                    }
                }
            });
        }
        senders.shutdown();
        senders.awaitTermination(15, TimeUnit.MINUTES);
        StringBuilder out = new StringBuilder("{\"mode\":\"sync\"");
        field(out, "requests", n);
        field(out, "concurrency", concurrency);
        field(out, "all_answered_s", secs(System.nanoTime() - start));
        field(out, "statuses", json(new TreeMap<>(statuses)));
        field(out, "providers", json(new TreeMap<>(providers)));
        field(out, "errors", json(new TreeMap<>(errors)));
        field(out, "latency_s", percentiles(latencies, 1e9));
        System.out.println(out.append('}'));
    }

    // ---- overhead: sync against async (polled, watched), one at a time ----

    static void overhead(int rounds, int warmUp, String tag, int pollMillis, int gapMillis) throws Exception {
        long lastAsync = 0;
        List<Long> sync = new ArrayList<>();
        List<Long> polled = new ArrayList<>();
        List<Long> polledCreate = new ArrayList<>();
        List<Long> polledAfter202 = new ArrayList<>();
        List<Long> gets = new ArrayList<>();
        List<Long> watched = new ArrayList<>();
        List<Long> watchedCreate = new ArrayList<>();
        List<Long> watchedAfter202 = new ArrayList<>();
        int failures = 0;
        for (int round = -warmUp; round < rounds; round++) {
            boolean counted = round >= 0;
            String p = "jobs overhead " + tag + " " + round;
            // the order rotates, so that none of the three always follows the same one
            for (int k = 0; k < 3; k++) {
                int which = Math.floorMod(round + k, 3);
                if (which != 0 && gapMillis > 0) {
                    long wait = lastAsync + TimeUnit.MILLISECONDS.toNanos(gapMillis) - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                long t0 = System.nanoTime();
                if (which != 0) {
                    lastAsync = t0;
                }
                if (which == 0) {
                    HttpResponse<String> r = client.send(post(p + " sync", false), HttpResponse.BodyHandlers.ofString());
                    long t = System.nanoTime() - t0;
                    if (r.statusCode() != 200) {
                        failures++;
                        System.err.println("sync answered " + r.statusCode() + " " + r.body());
                    } else if (counted) {
                        sync.add(t);
                    }
                } else if (which == 1) {
                    HttpResponse<String> r = client.send(post(p + " poll", true), HttpResponse.BodyHandlers.ofString());
                    long t1 = System.nanoTime();
                    String id = find(ID, r.body());
                    String status = find(STATUS, r.body());
                    long n = 0;
                    long next = t1;
                    while (!terminal(status) && System.nanoTime() - t1 < TimeUnit.SECONDS.toNanos(60)) {
                        HttpResponse<String> g = client.send(get("/v1/images/jobs/" + id), HttpResponse.BodyHandlers.ofString());
                        n++;
                        status = find(STATUS, g.body());
                        if (!terminal(status)) {
                            next += TimeUnit.MILLISECONDS.toNanos(pollMillis);
                            long sleep = next - System.nanoTime();
                            if (sleep > 0) {
                                TimeUnit.NANOSECONDS.sleep(sleep);
                            }
                        }
                    }
                    long t2 = System.nanoTime();
                    if (!"succeeded".equals(status)) {
                        failures++;
                        System.err.println("polled job " + id + " ended " + status);
                    } else if (counted) {
                        polled.add(t2 - t0);
                        polledCreate.add(t1 - t0);
                        polledAfter202.add(t2 - t1);
                        gets.add(n);
                    }
                } else {
                    HttpResponse<String> r = client.send(post(p + " sse", true), HttpResponse.BodyHandlers.ofString());
                    long t1 = System.nanoTime();
                    Job job = new Job(round);
                    job.sent = t0;
                    job.accepted = t1;
                    job.id = find(ID, r.body());
                    String status = find(STATUS, r.body());
                    if (terminal(status)) {
                        finish(job, status, r.body(), t1);
                    } else {
                        watch(job, t1 + TimeUnit.SECONDS.toNanos(60));
                    }
                    if (!"succeeded".equals(job.status)) {
                        failures++;
                        System.err.println("watched job " + job.id + " ended " + job.status);
                    } else if (counted) {
                        watched.add(job.ended - t0);
                        watchedCreate.add(t1 - t0);
                        watchedAfter202.add(job.ended - t1);
                    }
                }
            }
            if (round == -1) {
                System.err.println("# overhead: warm-up done");
            }
        }
        StringBuilder out = new StringBuilder("{\"mode\":\"overhead\"");
        field(out, "rounds", rounds);
        field(out, "warm_up_rounds", warmUp);
        field(out, "poll_ms", pollMillis);
        field(out, "gap_ms", gapMillis);
        field(out, "failures", failures);
        field(out, "sync_ms", percentiles(sync, 1e6));
        field(out, "async_polled_ms", percentiles(polled, 1e6));
        field(out, "async_polled_202_ms", percentiles(polledCreate, 1e6));
        field(out, "async_polled_after_202_ms", percentiles(polledAfter202, 1e6));
        field(out, "async_polled_gets", percentiles(gets, 1));
        field(out, "async_events_ms", percentiles(watched, 1e6));
        field(out, "async_events_202_ms", percentiles(watchedCreate, 1e6));
        field(out, "async_events_after_202_ms", percentiles(watchedAfter202, 1e6));
        System.out.println(out.append('}'));
    }

    // ---- output ----

    static String secs(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e9);
    }

    static void field(StringBuilder out, String name, Object value) {
        out.append(",\"").append(name).append("\":").append(value);
    }

    static String json(Map<?, Integer> map) {
        StringBuilder b = new StringBuilder("{");
        map.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        return b.append('}').toString();
    }

    /** {"n","p50","p95","max","mean"} of the values, divided by unit. */
    static String percentiles(List<Long> values, double unit) {
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        if (v.length == 0) {
            return "{\"n\":0}";
        }
        double mean = Arrays.stream(v).average().orElse(0);
        return String.format(Locale.ROOT, "{\"n\":%d,\"min\":%.3f,\"p50\":%.3f,\"p95\":%.3f,\"max\":%.3f,\"mean\":%.3f}",
                v.length, v[0] / unit, pct(v, 50) / unit, pct(v, 95) / unit, v[v.length - 1] / unit, mean / unit);
    }

    static long pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
