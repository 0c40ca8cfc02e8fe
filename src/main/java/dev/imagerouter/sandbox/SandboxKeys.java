package dev.imagerouter.sandbox;

/**
 * Fixed credentials and identities the emulators accept and report.
 *
 * <p>None of these is a secret: they only open the in-process emulators. The OpenAI key is
 * deliberately short and contains dashes so that secret scanners and log maskers never take it
 * for a real {@code sk-} key (real keys carry 20+ alphanumeric characters after the prefix).
 */
public final class SandboxKeys {

    /** Bearer key of the Leonardo emulator. Leonardo keys are UUIDs (Leonardo WIRE.md §1 "Auth"). */
    public static final String LEONARDO_API_KEY = "5a9d1b0e-7c4f-4e2a-9b3d-000000000001";

    /** The user the Leonardo emulator reports in {@code GET /me} and in "not enough api tokens" errors (WIRE §4, §6.2). */
    public static final String LEONARDO_USER_ID = "5a9d1b0e-7c4f-4e2a-9b3d-0000000000aa";

    /** Username reported by the Leonardo emulator's {@code GET /me}. */
    public static final String LEONARDO_USERNAME = "sandbox";

    /** Bearer key of the OpenAI emulator (OpenAI WIRE.md §5 "Auth"). */
    public static final String OPENAI_API_KEY = "sk-sandbox-openai-0000";

    /**
     * Webhook callback key used in sandbox mode when {@code router.webhooks.leonardo-key} is not set:
     * the Leonardo emulator sends it and the router's receiver expects it (WIRE §5.1).
     */
    public static final String LEONARDO_WEBHOOK_KEY = "sandbox-leonardo-webhook-0000";

    /** Organisation reported in the {@code openai-organization} response header (OpenAI WIRE.md §2.3). */
    public static final String OPENAI_ORGANIZATION = "org-sandbox";

    /** Request header carrying per-request faults, e.g. {@code leonardo=429@0.3,openai=timeout} (DESIGN.md "Sandbox"). */
    public static final String FAULT_HEADER = "X-Sandbox-Fault";

    /** Request header carrying the calling provider instance's name, e.g. {@code leonardo-phoenix}. */
    public static final String PROVIDER_HEADER = "X-Sandbox-Provider";

    /** Path prefix of the Leonardo REST emulator; a client's base URL is {@code http://host:port} + this. */
    public static final String LEONARDO_BASE_PATH = "/sandbox/leonardo/api/rest/v1";

    /**
     * Path prefix of the Leonardo v2 emulator ({@code POST /generations}, {@code GET /models}): beside the v1 one, as
     * {@code /api/rest/v2} is beside {@code /api/rest/v1} (Leonardo UPDATES-2026.md §1).
     */
    public static final String LEONARDO_V2_BASE_PATH = "/sandbox/leonardo/api/rest/v2";

    /** Path prefix of the Leonardo CDN emulator serving {@code /{generationId}/{index}.png}. */
    public static final String LEONARDO_CDN_PATH = "/sandbox/leonardo/cdn";

    /** Path prefix of the OpenAI emulator; a client's base URL is {@code http://host:port} + this. */
    public static final String OPENAI_BASE_PATH = "/sandbox/openai/v1";

    private SandboxKeys() {
    }
}
