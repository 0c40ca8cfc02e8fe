package dev.imagerouter.sandbox;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A fault the emulators can inject, with the names it is spelled by in a fault plan.
 *
 * <p>The first name is canonical; the others are aliases so that one spelling works for both
 * providers ({@code quota} = {@code insufficient_quota}, {@code moderation} =
 * {@code moderation_blocked}, {@code model} = {@code model_not_found}). Effects per provider are
 * documented on {@code LeonardoFaults} and {@code OpenAiFaults}; the catalogue comes from
 * DESIGN.md "Sandbox faults".
 */
public enum SandboxFault {
    /** HTTP 429 rate limit. */
    RATE_LIMITED(both(), "429"),
    /** HTTP 500 with the provider's JSON error body. */
    SERVER_ERROR(both(), "500"),
    /** HTTP 503 with a non-JSON body. */
    UNAVAILABLE(both(), "503"),
    /** Leonardo: the job stays PENDING forever. OpenAI: no answer for 10 minutes. */
    TIMEOUT(both(), "timeout"),
    /** The answer is delayed by {@link SandboxSettings#slowDelay()}. */
    SLOW(both(), "slow"),
    /** The TCP connection is closed abruptly, without an HTTP response. */
    RESET(both(), "reset"),
    /** HTTP 401 with the provider's auth-failure body. */
    AUTH(both(), "auth"),
    /** Leonardo: the poll answers truncated JSON. OpenAI: 200 with {@code data:[{}]}. */
    MALFORMED(both(), "malformed"),
    /** Leonardo: 400 "not enough api tokens". OpenAI: 429 {@code insufficient_quota}. */
    QUOTA(both(), "quota", "insufficient_quota"),
    /** Leonardo: content moderation filter. OpenAI: 400 {@code moderation_blocked}. */
    MODERATION(both(), "moderation", "moderation_blocked"),
    /** Leonardo: 400 model not supported. OpenAI: 404 {@code model_not_found}. */
    MODEL(both(), "model", "model_not_found"),
    /** Leonardo only: the job ends FAILED after the pending phase. */
    FAILED(EnumSet.of(EmulatorType.LEONARDO), "failed"),
    /** Leonardo only: the job ends COMPLETE with {@code generated_images: []}. */
    NO_IMAGES(EnumSet.of(EmulatorType.LEONARDO), "noimages"),
    /** Leonardo only: the create succeeds; the job's first {@value LeonardoJobs#POLL_500_COUNT} polls answer 500, then it completes as usual. */
    POLL_500(EnumSet.of(EmulatorType.LEONARDO), "poll_500"),
    /** Leonardo only: the job completes as usual; the first {@value LeonardoJobs#CDN_500_COUNT} CDN fetches of its images answer 500. */
    CDN_500(EnumSet.of(EmulatorType.LEONARDO), "cdn_500"),
    /**
     * Leonardo only: the create succeeds; the job stays PENDING for the calling instance's timeout plus
     * {@link SandboxSettings#lateAfter()} (see {@link SandboxState#providerTimeout}), then completes.
     */
    LATE(EnumSet.of(EmulatorType.LEONARDO), "late"),
    /** OpenAI only: the DALL·E-era 400 {@code content_policy_violation}. */
    CONTENT_POLICY(EnumSet.of(EmulatorType.OPENAI), "content_policy_violation"),
    /** OpenAI only: 403 "organization must be verified". */
    FORBIDDEN(EnumSet.of(EmulatorType.OPENAI), "forbidden"),
    /** A 400 the provider gives for a request it does not accept (Leonardo "invalid dimensions", OpenAI invalid size). */
    BAD_REQUEST(both(), "bad_request", "400");

    private final Set<EmulatorType> appliesTo;
    private final List<String> names;

    SandboxFault(Set<EmulatorType> appliesTo, String... names) {
        this.appliesTo = Set.copyOf(appliesTo);
        this.names = List.of(names);
    }

    private static Set<EmulatorType> both() {
        return EnumSet.allOf(EmulatorType.class);
    }

    /** The canonical spelling, e.g. {@code 429}, {@code quota}. */
    public String wireName() {
        return names.get(0);
    }

    /** Whether the emulator of {@code type} knows this fault. */
    public boolean appliesTo(EmulatorType type) {
        return appliesTo.contains(type);
    }

    /** Looks a fault up by any of its spellings, case-insensitively. */
    public static Optional<SandboxFault> byName(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.names.contains(wanted)).findFirst();
    }

    /** Every accepted spelling, for error messages. */
    public static List<String> allNames() {
        return Arrays.stream(values()).flatMap(f -> f.names.stream()).toList();
    }
}
