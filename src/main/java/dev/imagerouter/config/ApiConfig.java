package dev.imagerouter.config;

/**
 * Input limits of the public API ({@code router.api.*}).
 *
 * @param maxPromptLength longest {@code prompt} and {@code negative_prompt}, in characters (Unicode code
 *                        points); default 1500, Leonardo's limit (shared/specs/leonardo/WIRE.md §2.1). A larger
 *                        cap lets longer prompts through to providers that accept them (Leonardo answers 400 and
 *                        the chain falls back).
 */
public record ApiConfig(int maxPromptLength) {

    /** Leonardo's prompt limit, WIRE.md §2.1. */
    public static final int DEFAULT_MAX_PROMPT_LENGTH = 1500;

    static ApiConfig read(ConfigNode router) {
        return new ApiConfig(router.child("api").integer("max-prompt-length", DEFAULT_MAX_PROMPT_LENGTH, 1, 32_000));
    }
}
