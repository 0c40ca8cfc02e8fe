package dev.imagerouter.vocabulary;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * One entry of the attempts trail returned to the client and recorded in metrics.
 *
 * @param provider    provider instance name
 * @param outcome     {@code success}, {@code failure} or {@code skipped}
 * @param failureKind the {@link dev.imagerouter.vocabulary.FailureKind} name, or null on success
 * @param httpStatus  the provider's HTTP status, or null when there was none
 * @param durationMs  wall time of the attempt in milliseconds (0 when skipped)
 * @param reason      why it was skipped ({@code CREDITS}, {@code COOLDOWN}, {@code BULKHEAD_FULL}, ...) or a short
 *                    failure message; never contains a key or a prompt
 */
@Serdeable
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Attempt(String provider, String outcome,
                      @JsonProperty("failure_kind") @Nullable String failureKind,
                      @JsonProperty("http_status") @Nullable Integer httpStatus,
                      @JsonProperty("duration_ms") long durationMs,
                      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String reason) {

    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";
    public static final String SKIPPED = "skipped";
}
