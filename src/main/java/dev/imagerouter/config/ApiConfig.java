package dev.imagerouter.config;

/**
 * Input limits of the public API ({@code router.api.*}).
 *
 * @param maxPromptLength longest {@code prompt} and {@code negative_prompt}, in characters (Unicode code
 *                        points); default 32000, OpenAI's limit (shared/specs/openai/GPT-IMAGE-2.md §1). A
 *                        provider with a lower limit (Leonardo: 1500) is skipped for a longer prompt, with
 *                        the reason in the trail.
 */
public record ApiConfig(int maxPromptLength) {

    /** OpenAI's prompt limit for GPT image models, GPT-IMAGE-2.md §1. */
    public static final int DEFAULT_MAX_PROMPT_LENGTH = 32_000;

    static ApiConfig read(ConfigNode router) {
        return new ApiConfig(router.child("api").integer("max-prompt-length", DEFAULT_MAX_PROMPT_LENGTH, 1, 32_000));
    }
}
