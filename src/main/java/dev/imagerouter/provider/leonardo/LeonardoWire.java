package dev.imagerouter.provider.leonardo;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.math.BigDecimal;
import java.util.List;

/**
 * Leonardo's wire shapes (shared/specs/leonardo/WIRE.md §2.3, §3, §4). Every field is nullable and
 * unknown fields are ignored; seeds are {@code long}; credits and costs are decimals.
 */
public final class LeonardoWire {

    private LeonardoWire() {
    }

    /** {@code POST /generations} → {@code {"sdGenerationJob":{...}}}. */
    @Serdeable
    public record CreateResponse(@Nullable SdGenerationJob sdGenerationJob) {
    }

    /** {@code apiCreditCost} is deprecated (integer), {@code cost.amount} is a decimal string. */
    @Serdeable
    public record SdGenerationJob(@Nullable String generationId, @Nullable BigDecimal apiCreditCost, @Nullable Cost cost) {
    }

    /** {@code unit} is {@code CREDITS} or {@code DOLLARS} (PAYG plans only). */
    @Serdeable
    public record Cost(@Nullable String amount, @Nullable String unit) {
    }

    /** {@code GET /generations/{id}} → {@code {"generations_by_pk": {...} | null}}. */
    @Serdeable
    public record GenerationResponse(@JsonProperty("generations_by_pk") @Nullable Generation generation) {
    }

    /** {@code status} is PENDING, COMPLETE or FAILED. */
    @Serdeable
    public record Generation(@Nullable String id, @Nullable String status,
                             @JsonProperty("generated_images") @Nullable List<Image> generatedImages,
                             @Nullable String modelId, @Nullable Long seed,
                             @Nullable Integer imageWidth, @Nullable Integer imageHeight) {
    }

    @Serdeable
    public record Image(@Nullable String id, @Nullable String url, @Nullable Boolean nsfw) {
    }

    /** {@code GET /me} → {@code {"user_details":[{...}]}}. */
    @Serdeable
    public record MeResponse(@JsonProperty("user_details") @Nullable List<UserDetails> userDetails) {
    }

    /** The API balance is {@code apiSubscriptionTokens + apiPaidTokens}; either may be fractional or negative. */
    @Serdeable
    public record UserDetails(@Nullable BigDecimal apiSubscriptionTokens, @Nullable BigDecimal apiPaidTokens) {
    }

    /**
     * Hasura error envelope {@code {"error","path","code"}}; {@code message} and {@code errors} for the other shapes a
     * v2 answer may have (UPDATES-2026.md §7.1: unconfirmed).
     */
    @Serdeable
    public record Error(@Nullable String error, @Nullable String path, @Nullable String code, @Nullable String message,
                        @Nullable List<ErrorItem> errors) {
    }

    /** One entry of a GraphQL-style {@code errors} list. */
    @Serdeable
    public record ErrorItem(@Nullable String message) {
    }
}
