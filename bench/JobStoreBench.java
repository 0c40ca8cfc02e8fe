import dev.imagerouter.jobs.JobRecord;
import dev.imagerouter.cluster.Cluster;
import dev.imagerouter.jobs.FileJobStore;
import dev.imagerouter.jobs.JobStore;
import dev.imagerouter.jobs.RedisJobStore;
import dev.imagerouter.settings.ClusterSettings;
import dev.imagerouter.vocabulary.Secret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.imagerouter.storage.FileSync;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.vocabulary.Attempt;
import io.micronaut.serde.ObjectMapper;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Jobs per second the job store sustains on this machine: drives {@code dev.imagerouter.jobs.FileJobStore}
 * directly (no HTTP, no provider), with the production {@link FileSync#DEFAULT} behind a counting
 * wrapper. Every job lives the life a Leonardo job has in {@code JobService}: five saves, created
 * (queued), calling leonardo-phoenix (running), accepted (the generationId), the attempt, succeeded
 * (written to done/, removed from active/). JobService awaits the first two (the 202 waits for the
 * created version, the provider call for the calling one) and not the others, which the store may
 * coalesce when a newer version of the job is waiting before the older one is written. Modes:
 * <ul>
 *   <li>{@code leonardo}: created, calling and accepted awaited, attempt and succeeded not. In
 *       production seconds of generation pass between accepted and the attempt, so the accepted
 *       version is always written on its own, while the attempt and succeeded come back to back:
 *       four files, as a real Leonardo job writes.</li>
 *   <li>{@code coalesced}: only created and calling awaited, the other three back to back (they
 *       coalesce into one write: three files, as many as an OpenAI job, which has no accepted
 *       version, writes).</li>
 *   <li>{@code awaited}: every save awaited, nothing coalesces: five files, the store's raw rate.</li>
 * </ul>
 * A producer starts its next job as soon as it has issued the succeeded save. K producer threads
 * share the N jobs. The records are the size of a real job (a 200-character prompt, one image).
 * Benchmarks only.
 *
 * <p>The first version of each job is kept through {@code create} (as JobService does), the others
 * through {@code save}. With a {@code redis://host:port} URI instead of a directory the same lives run
 * through {@code RedisJobStore} (a save is kept once Redis acknowledges it; fsyncs are then Redis's own,
 * per its appendfsync setting, and not counted here).
 *
 * <p>Usage (the project jar provides the store and its JSON mapper):
 * {@code java -cp target/image-router-0.1.0-SNAPSHOT.jar bench/JobStoreBench.java <dir|redis://host:port> <jobs> <producers> <leonardo|coalesced|awaited> [warm-up-jobs]}
 * Prints one JSON line.
 */
public final class JobStoreBench {

    /** A settled job as the router writes it (from a real run), the template of every record here. */
    private static final String TEMPLATE = """
            {"calling":null,"accepted":null,"interrupted":[],"callback":null,"id":"job_6f9fdeebd80bc9b2c43ec691",\
            "client":"bench","request_id":"req_ef8c64a4e890bb9f31fe4f29","status":"succeeded",\
            "created":"2026-12-06T03:48:01.155924021Z","updated":"2026-12-06T03:48:04.714846939Z",\
            "request_hash":"b5b3e889b6833ff3c01a8e3ae86b339746f1daa8f2ef3954b6b0c2b4532c77fe",\
            "request":{"image":{"prompt":"PROMPT","width":1536,"height":1024,"n":1,"quality":"auto","outputFormat":"png",\
            "background":"auto","moderation":"auto","partialImages":0},"no_cache":false,"response_format":"url",\
            "base":"http://127.0.0.1:18180"},"attempts":[{"provider":"leonardo-phoenix","outcome":"success",\
            "failure_kind":null,"http_status":null,"duration_ms":7971}],"result":{"record":{\
            "requestHash":"b5b3e889b6833ff3c01a8e3ae86b339746f1daa8f2ef3954b6b0c2b4532c77fe",\
            "images":[{"sha256":"a75609b8474f5114fc0dae01db7537ef116a1a9e10ca805abfd424025279d592","extension":"png",\
            "size":2553831}],"provider":"leonardo-phoenix","model":"de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3",\
            "created":"2026-12-06T03:48:04.714506012Z","normalised":true,"cost":{"amount":8,"unit":"CREDITS"}},\
            "cached":false},"error":null,"batch_id":null}""";

    private static final String PROMPT = "A lighthouse on a basalt cliff at dawn, long exposure, mist rolling over the"
            + " water, warm light in the lamp room, gulls in the distance, cinematic composition, 35 mm, muted teal and"
            + " orange palette, no text";

    /** FileSync.DEFAULT, counting its calls and the time spent in them. */
    static final class CountingSync implements FileSync {
        final AtomicLong fileForces = new AtomicLong();
        final AtomicLong directoryForces = new AtomicLong();
        final AtomicLong nanos = new AtomicLong();

        @Override
        public void force(FileChannel channel, Path file) throws IOException {
            long t = System.nanoTime();
            FileSync.DEFAULT.force(channel, file);
            nanos.addAndGet(System.nanoTime() - t);
            fileForces.incrementAndGet();
        }

        @Override
        public void forceDirectory(Path directory) throws IOException {
            long t = System.nanoTime();
            FileSync.DEFAULT.forceDirectory(directory);
            nanos.addAndGet(System.nanoTime() - t);
            directoryForces.incrementAndGet();
        }

        void reset() {
            fileForces.set(0);
            directoryForces.set(0);
            nanos.set(0);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = args[0].startsWith("redis://") ? null : Path.of(args[0]);
        int jobs = Integer.parseInt(args[1]);
        int producers = Integer.parseInt(args[2]);
        int awaitedSaves = switch (args[3]) { // the first this many saves of each job are awaited
            case "coalesced" -> 2;
            case "leonardo" -> 3;
            case "awaited" -> 5;
            default -> throw new IllegalArgumentException("mode is leonardo, coalesced or awaited, not " + args[3]);
        };
        int warmUp = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
        ObjectMapper json = ObjectMapper.getDefault();
        JobRecord template = json.readValue(TEMPLATE.replace("PROMPT", PROMPT).getBytes(StandardCharsets.UTF_8), JobRecord.class);

        CountingSync sync = new CountingSync();
        boolean redis = args[0].startsWith("redis://");
        Cluster cluster = null;
        if (redis) {
            ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
            cluster = Cluster.start(new ClusterSettings(Optional.of(Secret.of(args[0])), "bench:", Optional.of("bench"),
                    Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofMinutes(1)), scheduler, new SimpleMeterRegistry());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!cluster.up() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        if (warmUp > 0) {
            try (JobStore store = open(args[0], dir, "warm-up", cluster, json, sync)) {
                run(store, template, warmUp, producers, awaitedSaves, new ArrayList<>());
            }
        }
        sync.reset();
        List<Long> awaitedNanos = Collections.synchronizedList(new ArrayList<>());
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        try (JobStore store = open(args[0], dir, "measured", cluster, json, sync)) {
            run(store, template, jobs, producers, awaitedSaves, awaitedNanos);
            long elapsed = System.nanoTime() - t0;
            long cpu = processCpuNanos() - cpu0;
            long writes = sync.fileForces.get();
            long fsyncs = writes + sync.directoryForces.get();
            long[] awaited = awaitedNanos.stream().mapToLong(Long::longValue).sorted().toArray();
            double s = elapsed / 1e9;
            System.out.printf(Locale.ROOT, "{\"store\":\"%s\",\"mode\":\"%s\",\"jobs\":%d,\"producers\":%d,\"seconds\":%.2f,\"jobs_per_s\":%.1f,"
                            + "\"saves_per_s\":%.1f,\"files_written\":%d,\"saves_coalesced\":%d,\"fsyncs\":%d,\"fsyncs_per_job\":%.2f,"
                            + "\"fsyncs_per_s\":%.1f,\"fsync_ms_mean\":%.3f,\"fsync_share_of_wall\":%.2f,"
                            + "\"awaited_save_ms\":{\"n\":%d,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"cpu_us_per_job\":%d}%n",
                    redis ? "redis" : "file", args[3], jobs, producers, s, jobs / s, 5.0 * jobs / s, writes, 5L * jobs - writes, fsyncs,
                    (double) fsyncs / jobs, fsyncs / s, sync.nanos.get() / 1e6 / Math.max(1, fsyncs),
                    sync.nanos.get() / (double) elapsed, awaited.length, pct(awaited, 50), pct(awaited, 95), pct(awaited, 99),
                    awaited.length == 0 ? 0 : awaited[awaited.length - 1] / 1e6, cpu / 1000 / jobs);
        }
        System.exit(0);
    }

    static JobStore open(String target, Path dir, String name, Cluster cluster, ObjectMapper json, CountingSync sync)
            throws IOException {
        if (cluster != null) {
            return new RedisJobStore(cluster, json, () -> Duration.ofMinutes(10), Duration.ofSeconds(20), Instant.now());
        }
        return new FileJobStore(Files.createDirectories(dir.resolve(name)), json, sync);
    }

    /** N jobs over K producers; returns once every job's last version is kept. */
    static void run(JobStore store, JobRecord template, int jobs, int producers, int awaitedSaves, List<Long> awaited)
            throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<CompletableFuture<?>> lasts = Collections.synchronizedList(new ArrayList<>());
        for (int p = 0; p < producers; p++) {
            Thread t = new Thread(() -> {
                CompletableFuture<?> last = CompletableFuture.completedFuture(null);
                while (next.getAndIncrement() < jobs) {
                    List<JobRecord> life = life(template);
                    for (int i = 0; i < life.size(); i++) {
                        CompletableFuture<?> saved = i == 0 ? store.create(List.of(life.get(0)), Integer.MAX_VALUE)
                                : store.save(life.get(i));
                        if (i < awaitedSaves) {
                            long t0 = System.nanoTime();
                            saved.join();
                            awaited.add(System.nanoTime() - t0);
                        }
                        last = saved;
                    }
                }
                lasts.add(last);
            }, "producer-" + p);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        CompletableFuture.allOf(lasts.toArray(CompletableFuture[]::new)).join();
    }

    /** The five versions of one new job: created, calling, accepted, attempt, succeeded. */
    static List<JobRecord> life(JobRecord t) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] idBytes = new byte[12];
        random.nextBytes(idBytes);
        String id = "job_" + HexFormat.of().formatHex(idBytes);
        byte[] hashBytes = new byte[32];
        random.nextBytes(hashBytes);
        String hash = HexFormat.of().formatHex(hashBytes);
        String requestId = "req_" + HexFormat.of().formatHex(idBytes, 0, 12);
        Instant now = Instant.now();
        String provider = "leonardo-phoenix";
        JobRecord created = new JobRecord(id, t.client(), requestId, JobRecord.Status.QUEUED, now, now, hash, t.request(),
                List.of(), null, null, Set.of(), null, null, null, null);
        JobRecord calling = new JobRecord(id, t.client(), requestId, JobRecord.Status.RUNNING, now, now, hash, t.request(),
                List.of(), provider, null, Set.of(), null, null, null, null);
        JobRecord accepted = new JobRecord(id, t.client(), requestId, JobRecord.Status.RUNNING, now, now, hash, t.request(),
                List.of(), provider, new JobRecord.Accepted(provider, UUID.randomUUID().toString()), Set.of(), null, null, null, null);
        Attempt attempt = t.attempts().get(0);
        JobRecord attempted = new JobRecord(id, t.client(), requestId, JobRecord.Status.RUNNING, now, now, hash, t.request(),
                List.of(attempt), null, null, Set.of(), null, null, null, null);
        ImageStore.GenerationRecord r = t.result().record();
        JobRecord.Result result = new JobRecord.Result(new ImageStore.GenerationRecord(hash, r.images(), r.provider(), r.model(),
                now, r.normalised(), r.cost(), r.usage()), false);
        JobRecord succeeded = new JobRecord(id, t.client(), requestId, JobRecord.Status.SUCCEEDED, now, now, hash, t.request(),
                List.of(attempt), null, null, Set.of(), result, null, null, null);
        return List.of(created, calling, accepted, attempted, succeeded);
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
