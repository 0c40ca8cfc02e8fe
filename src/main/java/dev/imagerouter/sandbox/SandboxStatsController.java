package dev.imagerouter.sandbox;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /sandbox/stats}: the emulators' counters and the arrival times of the last creates
 * ({@code System.nanoTime()} of the emulator's JVM, so only differences mean anything), for
 * benchmarks that run the emulators in their own process. {@code POST /sandbox/stats/reset}
 * clears them. Both answer 404 when the sandbox is off.
 *
 * <p>The answer: {@code leonardo_creates} (calls of Leonardo {@code POST /generations}, v1 and v2, whatever the
 * answer), {@code leonardo_v2_creates} (those of them to v2), {@code leonardo_v2_model_lists} (calls of v2
 * {@code GET /models}), {@code leonardo_polls} (calls of {@code GET /generations/{id}}, whatever the answer),
 * {@code leonardo_max_concurrent_jobs} (the most Leonardo jobs, v1 and v2, PENDING at the same time since the
 * reset, see {@link SandboxStats#leonardoMaxConcurrentJobs()}), {@code leonardo_max_processing_jobs} (the most
 * holding a processing slot at the same instant, {@link SandboxStats#leonardoMaxProcessingJobs()}),
 * {@code leonardo_rate_limited_creates} and {@code leonardo_queue_full_creates} (creates refused with 429 by the
 * account's create limit and by its pending-job bound, {@link LeonardoLimits}), {@code leonardo_repeated_creates}
 * (jobs created with the prompt of an earlier job, {@link SandboxStats#leonardoRepeatedCreates()}),
 * {@code openai_generates}, and the nanosecond arrival times {@code leonardo_create_nanos} and
 * {@code openai_generate_nanos}.
 */
@Controller("/sandbox/stats")
public class SandboxStatsController {

    private final SandboxState state;
    private final SandboxStats stats;

    public SandboxStatsController(SandboxState state, SandboxStats stats) {
        this.state = state;
        this.stats = stats;
    }

    @Get(produces = MediaType.APPLICATION_JSON)
    public HttpResponse<Map<String, Object>> stats() {
        if (!state.enabled()) {
            return HttpResponse.notFound();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("leonardo_creates", stats.leonardoCreates());
        out.put("leonardo_v2_creates", stats.leonardoV2Creates());
        out.put("leonardo_v2_model_lists", stats.leonardoV2ModelLists());
        out.put("leonardo_polls", stats.leonardoPolls());
        out.put("leonardo_max_concurrent_jobs", stats.leonardoMaxConcurrentJobs());
        out.put("leonardo_max_processing_jobs", stats.leonardoMaxProcessingJobs());
        out.put("leonardo_rate_limited_creates", stats.leonardoRateLimitedCreates());
        out.put("leonardo_queue_full_creates", stats.leonardoQueueFullCreates());
        out.put("leonardo_repeated_creates", stats.leonardoRepeatedCreates());
        out.put("openai_generates", stats.openAiGenerates());
        out.put("leonardo_create_nanos", stats.createTimestamps(EmulatorType.LEONARDO));
        out.put("openai_generate_nanos", stats.createTimestamps(EmulatorType.OPENAI));
        return HttpResponse.ok(out);
    }

    @Post("/reset")
    public HttpResponse<Void> reset() {
        if (!state.enabled()) {
            return HttpResponse.notFound();
        }
        stats.reset();
        return HttpResponse.noContent();
    }
}
