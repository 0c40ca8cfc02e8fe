package dev.imagerouter.vocabulary;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * One entry of the attempts trail returned to the client and recorded in metrics.
 *
 * @param provider    provider instance name
 * @param outcome     how the attempt ended; JSON {@code success}, {@code failure} or {@code skipped}
 * @param failureKind the failure kind ({@code SKIPPED} or {@code CIRCUIT_OPEN} for skips), or null on success
 * @param httpStatus  the provider's HTTP status, or null when there was none
 * @param durationMs  wall time of the attempt in milliseconds (0 when skipped)
 * @param reason      why it was skipped ({@code CREDITS}, {@code COOLDOWN}, {@code BULKHEAD_FULL}, ...) or a short
 *                    failure message; never contains a key or a prompt
 */
@Serdeable
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Attempt(String provider, Outcome outcome,
                      @JsonProperty("failure_kind") @Nullable FailureKind failureKind,
                      @JsonProperty("http_status") @Nullable Integer httpStatus,
                      @JsonProperty("duration_ms") long durationMs,
                      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String reason) {

    /** How an attempt ended; written in lower case (the API's and the metrics' spelling). */
    @Serdeable
    public enum Outcome {
        /** The provider produced the images. */
        SUCCESS,
        /** The provider was called and failed. */
        FAILURE,
        /** The provider was not called (its reason says why). */
        SKIPPED;

        /** {@code success}, {@code failure} or {@code skipped}. */
        @com.fasterxml.jackson.annotation.JsonValue
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static final Outcome SUCCESS = Outcome.SUCCESS;
    public static final Outcome FAILURE = Outcome.FAILURE;
    public static final Outcome SKIPPED = Outcome.SKIPPED;
}
