package dev.imagerouter.sandbox;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Leonardo CDN emulator: {@code GET /sandbox/leonardo/cdn/{generationId}/{index}.png} answers
 * the rendered PNG ({@code image/png}) of image {@code index} of a COMPLETE generation, at the
 * generation's width and height. Image {@code i} is rendered from (prompt, seed + i). Anything
 * else (sandbox off, unknown id, job not COMPLETE, index out of range, {@code noimages}) is a 404
 * in Leonardo's envelope; the first fetches of a {@code cdn_500} job are 500s. No auth, like a CDN URL. Rendering is asynchronous ({@link SandboxImages}).
 */
@Controller(SandboxKeys.LEONARDO_CDN_PATH)
public class LeonardoCdnController {

    private static final Pattern FILE = Pattern.compile("(\\d{1,3})\\.png");

    private final SandboxState state;
    private final SandboxStats stats;
    private final LeonardoJobs jobs;
    private final SandboxImages images;

    LeonardoCdnController(SandboxState state, SandboxStats stats, LeonardoJobs jobs, SandboxImages images) {
        this.state = state;
        this.stats = stats;
        this.jobs = jobs;
        this.images = images;
    }

    /** The PNG bytes, or 404. */
    @Get(uri = "/{generationId}/{file}", produces = "image/png")
    public CompletableFuture<HttpResponse<?>> image(@PathVariable String generationId, @PathVariable String file) {
        stats.leonardoCdnFetch();
        Matcher m = FILE.matcher(file);
        if (!state.enabled() || !m.matches()) {
            return notFound();
        }
        int index = Integer.parseInt(m.group(1));
        Optional<LeonardoJob> found = jobs.find(generationId.toLowerCase());
        if (found.isEmpty() || !found.get().hasImage(index, System.nanoTime())) {
            return notFound();
        }
        LeonardoJob job = found.get();
        if (jobs.takeCdnFailure(job.id())) {
            return CompletableFuture.completedFuture(LeonardoErrors.internalError());
        }
        LeonardoRequest r = job.request();
        return images.png(r.prompt(), job.seed() + index, r.width(), r.height())
                .thenApply(png -> (HttpResponse<?>) SandboxHttp.raw(200, "image/png", png)
                        .header("Cache-Control", "public, max-age=31536000, immutable"));
    }

    private static CompletableFuture<HttpResponse<?>> notFound() {
        return CompletableFuture.completedFuture(LeonardoErrors.endpointNotFound());
    }
}
