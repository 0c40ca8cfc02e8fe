package dev.imagerouter.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.imagerouter.history.GenerationHistory;
import dev.imagerouter.history.HistoryEntry;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.serde.annotation.Serdeable;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code GET /admin/generations?limit=&before=}: the generation history, newest first, one page at a
 * time (what the console's grid shows). Same access as {@code /admin/**}.
 *
 * <p>Answer: {@code {"object":"list","data":[<generation>…],"first_id","last_id","has_more"}}, OpenAI's
 * list shape; pass {@code last_id} as {@code before} for the next (older) page. A generation: {@code id},
 * {@code created} (Unix seconds), {@code request_id}, {@code request_hash}, {@code client}, {@code provider},
 * {@code model}, {@code prompt} ({@code prompt_truncated} when cut), {@code size}, {@code quality}, {@code n},
 * {@code output_format}, {@code cost} ({@code amount}, {@code unit}; absent when cached or unknown),
 * {@code cached}, {@code duration_ms}, {@code attempts} (provider, outcome, failure_kind, http_status,
 * duration_ms, reason, {@code action}: {@code retry|fallback}), {@code images} ({@code url} and
 * {@code thumbnail_url}, paths on this router) and {@code sandbox_fault} (sandbox mode). Only the
 * newest {@code router.history.max-entries} are held, so paging ends there.
 *
 * @see GenerationHistory for what is listed and why
 */
@Controller("/admin/generations")
public class GenerationsController {

    /** Entries per page when {@code limit} is absent. */
    static final int DEFAULT_LIMIT = 50;
    /** The most entries one page may ask for. */
    static final int MAX_LIMIT = 200;
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,9}");
    private static final String FILES = "/v1/images/files/";

    private final GenerationHistory history;

    public GenerationsController(GenerationHistory history) {
        this.history = history;
    }

    /**
     * @param limit  1..{@value #MAX_LIMIT} entries, default {@value #DEFAULT_LIMIT}
     * @param before an entry's {@code id}: only older entries are listed
     * @throws ApiException 400 {@code invalid_value} naming {@code limit} or {@code before} when malformed or out of range
     */
    @Get(produces = MediaType.APPLICATION_JSON)
    public Page list(@Nullable @QueryValue("limit") String limit, @Nullable @QueryValue("before") String before) {
        int n = DEFAULT_LIMIT;
        if (limit != null) {
            if (!DIGITS.matcher(limit).matches() || Integer.parseInt(limit) < 1 || Integer.parseInt(limit) > MAX_LIMIT) {
                throw ApiException.invalid("limit", "invalid_value",
                        "limit must be an integer from 1 to " + MAX_LIMIT + ", but was '" + shown(limit) + "'.");
            }
            n = Integer.parseInt(limit);
        }
        if (before != null && !GenerationHistory.isId(before)) {
            throw ApiException.invalid("before", "invalid_value", "before must be the id of a generation"
                    + " (13 digits, '-', 8 lowercase hex digits, as in last_id), but was '" + shown(before) + "'.");
        }
        GenerationHistory.Page page = history.page(n, Optional.ofNullable(before));
        List<Generation> data = page.entries().stream().map(GenerationsController::view).toList();
        return new Page("list", data, data.isEmpty() ? null : data.get(0).id(),
                data.isEmpty() ? null : data.get(data.size() - 1).id(), page.hasMore());
    }

    /** What a bad parameter is shown as in the error: at most 40 characters. */
    private static String shown(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "…";
    }

    private static Generation view(HistoryEntry e) {
        return new Generation(e.id(), e.created(), e.requestId(), e.requestHash(), e.client(), e.provider(), e.model(),
                e.prompt(), e.promptTruncated(), e.size(), e.quality(), e.n(), e.outputFormat(),
                e.cost() == null ? null : new Cost(e.cost().amount(), e.cost().unit()), e.cached(), e.durationMs(),
                e.attempts().stream().map(s -> new Step(s.provider(), s.outcome(), s.failureKind(), s.httpStatus(),
                        s.durationMs(), s.reason(), s.action())).toList(),
                e.images().stream().map(i -> new Image(FILES + i.file(), i.thumbnail() == null ? null : FILES + i.thumbnail()))
                        .toList(),
                e.sandboxFault());
    }

    /** The list: {@code object} is always {@code list}; {@code data} may be empty, then both ids are null. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Page(String object, List<Generation> data, @JsonProperty("first_id") @Nullable String firstId,
                       @JsonProperty("last_id") @Nullable String lastId, @JsonProperty("has_more") boolean hasMore) {
    }

    /** One answered request (fields as in the class comment). */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Generation(String id, long created, @JsonProperty("request_id") String requestId,
                             @JsonProperty("request_hash") String requestHash, String client, String provider, String model,
                             String prompt, @JsonProperty("prompt_truncated") @Nullable Boolean promptTruncated,
                             String size, String quality, int n, @JsonProperty("output_format") String outputFormat,
                             @Nullable Cost cost, boolean cached, @JsonProperty("duration_ms") long durationMs,
                             List<Step> attempts, List<Image> images,
                             @JsonProperty("sandbox_fault") @Nullable String sandboxFault) {
    }

    /** @param unit {@code USD} or {@code CREDITS} */
    @Serdeable
    public record Cost(BigDecimal amount, String unit) {
    }

    /** One step of the trail; {@code action} is {@code retry} or {@code fallback}, absent on success. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(String provider, String outcome, @JsonProperty("failure_kind") @Nullable String failureKind,
                       @JsonProperty("http_status") @Nullable Integer httpStatus, @JsonProperty("duration_ms") long durationMs,
                       @Nullable String reason, @Nullable String action) {
    }

    /** An image and its thumbnail as paths on this router; {@code thumbnail_url} absent when none could be made. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Image(String url, @JsonProperty("thumbnail_url") @Nullable String thumbnailUrl) {
    }
}
