package dev.imagerouter.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.imagerouter.routing.Attempt;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.math.BigDecimal;
import java.util.List;

/**
 * The OpenAI {@code ImagesResponse} shape plus the router's metadata:
 * {@code {"created": <epoch s>, "data": [{"url"} | {"b64_json"}], "router": {...}}}.
 */
@Serdeable
public record GenerationResponse(long created, List<ImageData> data, RouterInfo router) {

    /** One image: {@code url} or {@code b64_json}, whichever {@code response_format} asked for. */
    @Serdeable
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ImageData(@Nullable String url, @JsonProperty("b64_json") @Nullable String b64Json) {
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
                             boolean cached, boolean normalised, List<Attempt> attempts,
                             @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Cost cost) {
    }

    /** @param unit {@code USD} or {@code CREDITS} */
    @Serdeable
    public record Cost(BigDecimal amount, String unit) {
    }

    /** The trail only, for error answers. */
    @Serdeable
    public record FailureInfo(List<Attempt> attempts) {
    }
}
