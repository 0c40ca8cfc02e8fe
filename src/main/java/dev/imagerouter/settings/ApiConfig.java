package dev.imagerouter.settings;

import dev.imagerouter.configtree.ConfigNode;

/**
 * Input limits of the public API ({@code router.api.*}).
 *
 * @param maxPromptLength longest {@code prompt} and {@code negative_prompt}, in characters (Unicode code
 *                        points); default 32000, OpenAI's limit (shared/specs/openai/GPT-IMAGE-2.md §1). A
 *                        provider with a lower limit (Leonardo: 1500) is skipped for a longer prompt, with
 *                        the reason in the trail.
 * @param maxB64Bytes     the most stored image bytes one answer may carry as {@code b64_json}, summed over its
 *                        images ({@code router.api.max-b64-bytes}, default 64 MiB, 1 KiB..1 GiB); a larger
 *                        answer is refused with 400 ({@code param} {@code response_format}) telling the client
 *                        to ask for {@code url}: the images are stored and cached, so that retry is a cache hit
 */
public record ApiConfig(int maxPromptLength, long maxB64Bytes) {

    /** Default of {@code router.api.max-b64-bytes}: 64 MiB. */
    public static final long DEFAULT_MAX_B64_BYTES = 64L * 1024 * 1024;

    /** OpenAI's prompt limit for GPT image models, GPT-IMAGE-2.md §1. */
    public static final int DEFAULT_MAX_PROMPT_LENGTH = 32_000;

    public static ApiConfig read(ConfigNode router) {
        ConfigNode api = router.child("api");
        return new ApiConfig(api.integer("max-prompt-length", DEFAULT_MAX_PROMPT_LENGTH, 1, 32_000),
                api.longValue("max-b64-bytes", DEFAULT_MAX_B64_BYTES, 1024, 1024L * 1024 * 1024));
    }
}
