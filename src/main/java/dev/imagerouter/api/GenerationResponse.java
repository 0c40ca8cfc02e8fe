package dev.imagerouter.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.Attempt;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.math.BigDecimal;
import java.util.List;

/**
 * The OpenAI {@code ImagesResponse} shape plus the router's metadata:
 * {@code {"created": <epoch s>, "data": [{"url"?, "b64_json"?}], "size": "WxH", "output_format",
 * "usage"?: {...}, "router": {...}}}. {@code usage} is the answering provider's token usage (OpenAI's),
 * absent when the provider reported none (Leonardo prices in credits: see {@code router.cost}).
 */
@Serdeable
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerationResponse(long created, List<ImageData> data, @Nullable String size,
                                 @JsonProperty("output_format") @Nullable String outputFormat,
                                 @Nullable Usage usage, RouterInfo router) {

    /** One image: {@code url}, {@code b64_json} or both (see {@code GenerationRequestParser.Parsed#bothFormats}). */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ImageData(@Nullable String url, @JsonProperty("b64_json") @Nullable String b64Json) {
    }

    /**
     * OpenAI's {@code usage} object (shared/specs/openai/GPT-IMAGE-2.md §3): token counts, all four keys
     * always present (the Java SDK fails on access to a missing one).
     */
    @Serdeable
    public record Usage(@JsonProperty("input_tokens") long inputTokens, @JsonProperty("output_tokens") long outputTokens,
                        @JsonProperty("total_tokens") long totalTokens,
                        @JsonProperty("input_tokens_details") InputDetails inputTokensDetails) {

        /** The provider's usage in OpenAI's shape. */
        public static Usage of(ProviderResult.Usage u) {
            return new Usage(u.inputTokens(), u.outputTokens(), u.totalTokens(),
                    new InputDetails(u.inputTextTokens(), u.inputImageTokens()));
        }

        /** Zero tokens: the stream's {@code completed} event needs a usage even when the provider has none. */
        public static Usage zero() {
            return new Usage(0, 0, 0, new InputDetails(0, 0));
        }
    }

    /** {@code input_tokens_details}. */
    @Serdeable
    public record InputDetails(@JsonProperty("text_tokens") long textTokens, @JsonProperty("image_tokens") long imageTokens) {
    }

    /**
     * @param provider    the provider instance that made the images
     * @param model       its model
     * @param requestHash the request hash (the cache key)
     * @param cached      true when no provider was called for this request
     * @param normalised  true when the images were cropped/resized/re-encoded to the requested size or format
     * @param attempts    the attempts trail of this request (empty when cached)
     * @param cost        what the generation cost, when known
     */
    @Serdeable
    public record RouterInfo(String provider, String model, @JsonProperty("request_hash") String requestHash,
                             boolean cached, boolean normalised, List<AttemptInfo> attempts,
                             @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Cost cost) {
    }

    /**
     * One entry of the attempts trail, as the API writes it (the API's own shape, mapped from the
     * router's {@link Attempt}).
     *
     * @param provider    provider instance name
     * @param outcome     {@code success}, {@code failure} or {@code skipped}
     * @param failureKind the failure kind's name, or null on success
     * @param httpStatus  the provider's HTTP status, or null when there was none
     * @param durationMs  wall time of the attempt in milliseconds (0 when skipped)
     * @param reason      why it was skipped, or a short failure message (never a key or a prompt); omitted when none
     */
    @Serdeable
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record AttemptInfo(String provider, String outcome,
                              @JsonProperty("failure_kind") @Nullable String failureKind,
                              @JsonProperty("http_status") @Nullable Integer httpStatus,
                              @JsonProperty("duration_ms") long durationMs,
                              @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String reason) {

        /** The API's view of the router's attempts. */
        public static List<AttemptInfo> of(List<Attempt> attempts) {
            return attempts.stream().map(a -> new AttemptInfo(a.provider(), a.outcome().wire(),
                    a.failureKind() == null ? null : a.failureKind().name(), a.httpStatus(), a.durationMs(), a.reason())).toList();
        }
    }

    /** @param unit {@code USD} or {@code CREDITS} */
    @Serdeable
    public record Cost(BigDecimal amount, String unit) {
    }

    /** The trail only, for error answers. */
    @Serdeable
    public record FailureInfo(List<AttemptInfo> attempts) {
    }
}
