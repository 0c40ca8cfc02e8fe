package dev.imagerouter.history;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One answered generation request, as one line of {@code <router.storage.dir>/history/<yyyy-mm-dd>.jsonl}
 * (UTC day of {@code created}). Unknown fields are ignored when a line is read, so later versions may add some.
 *
 * @param v               the line format's version, {@value #VERSION}
 * @param id              {@code <13-digit Unix milliseconds>-<8 hex>} (4 for the process, 4 for a sequence):
 *                        unique, and in one process ordered as the entries were listed (string order is
 *                        time order); the paging cursor of {@code GET /admin/generations}
 * @param created         when the answer was ready, Unix seconds
 * @param requestId       the request's {@code X-Request-Id}
 * @param requestHash     the request hash (64 lowercase hex characters)
 * @param client          the client's name ({@code anonymous} in open sandbox mode)
 * @param provider        the provider instance that made the images
 * @param model           its model
 * @param prompt          the prompt as sent, cut when the whole line would pass {@value GenerationHistory#MAX_LINE_BYTES}
 *                        bytes (then {@code promptTruncated} is true)
 * @param promptTruncated true when {@code prompt} was cut; absent otherwise
 * @param size            {@code WIDTHxHEIGHT} in pixels, as answered
 * @param quality         {@code low|medium|high|auto}
 * @param n               images asked for, 1..4
 * @param outputFormat    {@code png|jpeg|webp}
 * @param cost            what this answer cost; absent for a cached answer (nothing was paid for it) and when
 *                        the provider reported no cost
 * @param cached          true when no provider was called for this request (cache, a joined flight, a replayed key)
 * @param durationMs      from the router taking the request to the answer, milliseconds
 * @param attempts        the attempt trail, in order (empty when cached)
 * @param images          the stored images in answer order, each with its thumbnail
 * @param sandboxFault    the {@code X-Sandbox-Fault} the request carried (sandbox mode only); absent otherwise
 */
@Serdeable
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record HistoryEntry(int v, String id, long created, @JsonProperty("request_id") String requestId,
                           @JsonProperty("request_hash") String requestHash, String client, String provider, String model,
                           String prompt, @JsonProperty("prompt_truncated") @Nullable Boolean promptTruncated,
                           String size, String quality, int n, @JsonProperty("output_format") String outputFormat,
                           @Nullable Cost cost, boolean cached, @JsonProperty("duration_ms") long durationMs,
                           List<Step> attempts, List<Image> images,
                           @JsonProperty("sandbox_fault") @Nullable String sandboxFault) {

    /** The line format written now. */
    public static final int VERSION = 1;
    /** What an {@link #id} looks like. */
    public static final Pattern ID = Pattern.compile("[0-9]{13}-[0-9a-f]{8}");

    public HistoryEntry {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id must be <13 digits>-<8 hex>, but was " + id);
        }
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
        images = images == null ? List.of() : List.copyOf(images);
        if (images.isEmpty()) {
            throw new IllegalArgumentException("a history entry needs at least one image");
        }
    }

    /** This entry with another prompt and trail (used to keep the line under its size bound). */
    HistoryEntry with(String newPrompt, boolean truncated, List<Step> newAttempts) {
        return new HistoryEntry(v, id, created, requestId, requestHash, client, provider, model, newPrompt,
                truncated ? Boolean.TRUE : promptTruncated, size, quality, n, outputFormat, cost, cached, durationMs,
                newAttempts, images, sandboxFault);
    }

    /**
     * What the answer cost.
     *
     * @param amount a decimal, never negative
     * @param unit   {@code USD} or {@code CREDITS}
     */
    @Serdeable
    public record Cost(BigDecimal amount, String unit) {
    }

    /**
     * One step of the trail: {@code provider → failure kind → action}.
     *
     * @param provider    provider instance name
     * @param outcome     {@code success}, {@code failure} or {@code skipped}
     * @param failureKind the failure kind ({@code SKIPPED} or {@code CIRCUIT_OPEN} for skips); absent on success
     * @param httpStatus  the provider's HTTP status; absent when there was none
     * @param durationMs  wall time of the attempt in milliseconds (0 when skipped)
     * @param reason      why it was skipped or a short failure message (cut to 200 characters); never a key
     * @param action      what the router did next: {@code retry} (the same provider again) or {@code fallback}
     *                    (the next provider); absent on success
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Step(String provider, String outcome, @JsonProperty("failure_kind") @Nullable String failureKind,
                       @JsonProperty("http_status") @Nullable Integer httpStatus, @JsonProperty("duration_ms") long durationMs,
                       @Nullable String reason, @Nullable String action) {
    }

    /**
     * One stored image and its thumbnail, both names in the image store ({@code <sha256>.<ext>}, served at
     * {@code /v1/images/files/<name>}).
     *
     * @param file      the image as answered
     * @param thumbnail its thumbnail (at most {@value Thumbnails#LONG_SIDE} px on the long side); absent when it
     *                  could not be made
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Image(String file, @Nullable String thumbnail) {
    }
}
