package dev.imagerouter.sandbox;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The Leonardo emulator's completion callbacks (shared/specs/leonardo/WIRE.md §5, §9 note 5).
 *
 * <p>A job's state is computed from the clock ({@link LeonardoJob#status}), so nothing "happens" when it
 * completes; this class schedules the callback at the job's completion instant on the
 * {@link SandboxScheduler} and posts it with the JDK HTTP client asynchronously. Sent for jobs that end
 * COMPLETE (with or without images); none for FAILED jobs (Leonardo does not document a failure callback),
 * for jobs that never finish, or for the {@code malformed} fault. Headers as WIRE §5.1:
 * {@code authorization: Bearer <key>}, {@code content-type: application/json},
 * {@code accept: application/json, text/plain, *}{@code /*}, {@code user-agent: axios/1.4.0} (the JDK client
 * does not let a caller set {@code connection}). The body is the §5.2 envelope, including the
 * {@code apiKey} record with the API key and the webhook key, as Leonardo sends it. No retries.
 *
 * <p>Thread-safe. Failures are counted ({@link SandboxStats#leonardoWebhookAnswers()}: -1) and logged
 * at DEBUG without the key.
 */
@Singleton
class LeonardoWebhookSender {

    private static final Logger LOG = LoggerFactory.getLogger(LeonardoWebhookSender.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final SandboxScheduler scheduler;
    private final SandboxStats stats;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private volatile boolean closed;

    LeonardoWebhookSender(SandboxScheduler scheduler, SandboxStats stats) {
        this.scheduler = scheduler;
        this.stats = stats;
    }

    /**
     * Schedules the callback of {@code job} when callbacks are on ({@link SandboxSettings#webhookUrl()}) and the
     * job completes. The callback goes only to the configured destination: an absolute URL as it is; a path on
     * this server, reached on the loopback address ({@code http://127.0.0.1:<localPort><path>}), never on a
     * host taken from the create request (its {@code Host} header is the client's to choose).
     *
     * @param baseUrl   {@code http://host:port} the create call was sent to: image URLs in the body use it (as in
     *                  poll answers); never the callback's destination
     * @param localPort the port of this server that accepted the create call (its local socket address)
     */
    void schedule(LeonardoJob job, String baseUrl, int localPort, SandboxSettings settings) {
        boolean completes = job.outcome() == LeonardoJob.Outcome.COMPLETE || job.outcome() == LeonardoJob.Outcome.NO_IMAGES;
        if (settings.webhookUrl().isEmpty() || !completes || job.malformed()) {
            return;
        }
        String url = settings.webhookUrl().startsWith("/") ? "http://127.0.0.1:" + localPort + settings.webhookUrl()
                : settings.webhookUrl();
        String key = settings.webhookKey();
        scheduler.delayedUntil(job.readyAtNanos(), job).thenAccept(j -> send(j, url, key, baseUrl));
    }

    private void send(LeonardoJob job, String url, String key, String baseUrl) {
        if (closed) {
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/plain, */*")
                .header("user-agent", "axios/1.4.0")
                .POST(HttpRequest.BodyPublishers.ofByteArray(envelope(job, baseUrl, url, key, Instant.now())));
        if (!key.isEmpty()) {
            request.header("authorization", "Bearer " + key);
        }
        stats.leonardoWebhookSent(job.id());
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            stats.leonardoWebhookAnswered(response == null ? -1 : response.statusCode());
            if (error != null) {
                LOG.debug("sandbox Leonardo callback for generation {} failed: {}", job.id(), error.getClass().getSimpleName());
            }
        });
    }

    /** The WIRE §5.2 envelope: the raw generation row under {@code data.object}, {@code seed} a string, times with {@code Z}. */
    static byte[] envelope(LeonardoJob job, String baseUrl, String callbackUrl, String webhookKey, Instant now) {
        LeonardoRequest r = job.request();
        String created = job.createdAt() + "Z";
        String updated = now.toString();
        List<Object> images = new ArrayList<>();
        if (job.outcome() == LeonardoJob.Outcome.COMPLETE) {
            for (int i = 0; i < job.imageIds().size(); i++) {
                Map<String, Object> img = SandboxJson.object();
                img.put("id", job.imageIds().get(i));
                img.put("createdAt", updated);
                img.put("updatedAt", updated);
                img.put("userId", SandboxKeys.LEONARDO_USER_ID);
                img.put("url", baseUrl + SandboxKeys.LEONARDO_CDN_PATH + "/" + job.id() + "/" + i + ".png");
                img.put("generationId", job.id());
                img.put("nobgId", null);
                img.put("nsfw", false);
                img.put("likeCount", 0);
                img.put("trendingScore", 0);
                img.put("public", false);
                images.add(img);
            }
        }
        Map<String, Object> g = SandboxJson.object();
        g.put("id", job.id());
        g.put("createdAt", created);
        g.put("updatedAt", updated);
        g.put("userId", SandboxKeys.LEONARDO_USER_ID);
        g.put("public", r.isPublic());
        g.put("flagged", false);
        g.put("nsfw", false);
        g.put("status", "COMPLETE");
        g.put("coreModel", "SD");
        g.put("guidanceScale", r.guidanceScale().stripTrailingZeros());
        g.put("imageHeight", r.height());
        g.put("imageWidth", r.width());
        g.put("inferenceSteps", r.inferenceSteps());
        g.put("initStrength", r.initStrength());
        g.put("modelId", r.modelId());
        g.put("negativePrompt", r.negativePrompt() == null ? "" : r.negativePrompt());
        g.put("prompt", r.prompt());
        g.put("quantity", r.numImages());
        g.put("sdVersion", LeonardoBodies.sdVersion(r));
        g.put("tiling", false);
        g.put("tokenCost", 0);
        g.put("seed", Long.toString(job.seed()));
        g.put("scheduler", r.scheduler());
        g.put("presetStyle", r.presetStyle());
        g.put("promptMagic", r.promptMagic());
        g.put("apiDollarCost", "0");
        g.put("alchemy", r.alchemy());
        g.put("contrastRatio", r.contrast());
        g.put("apiKeyId", SandboxKeys.LEONARDO_USER_ID);
        g.put("photoReal", r.photoReal());
        g.put("images", images);
        Map<String, Object> apiKey = SandboxJson.object();
        apiKey.put("id", UUID.nameUUIDFromBytes(SandboxKeys.LEONARDO_API_KEY.getBytes()).toString());
        apiKey.put("userId", SandboxKeys.LEONARDO_USER_ID);
        apiKey.put("key", SandboxKeys.LEONARDO_API_KEY);
        apiKey.put("name", "sandbox");
        apiKey.put("type", "PRODUCTION");
        apiKey.put("webhookCallbackUrl", callbackUrl);
        apiKey.put("webhookCallbackApiKey", webhookKey);
        g.put("apiKey", apiKey);
        Map<String, Object> body = SandboxJson.object();
        body.put("type", "image_generation.complete");
        body.put("object", "generation");
        body.put("timestamp", now.toEpochMilli());
        body.put("api_version", "v1");
        body.put("data", Map.of("object", g));
        return SandboxJson.bytes(body);
    }

    @PreDestroy
    void close() {
        closed = true;
    }
}
