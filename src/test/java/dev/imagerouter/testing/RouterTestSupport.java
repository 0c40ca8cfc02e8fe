package dev.imagerouter.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;

/**
 * Settings and helpers shared by the tests that talk HTTP to the router and its sandbox emulators.
 * Timings are shortened by configuration (never by sleeping): a Leonardo PENDING phase of
 * 100–200 ms, polls every 50 ms, a SERVER_ERROR backoff of 300 ms, a 3 s Leonardo timeout.
 */
public final class RouterTestSupport {

    private RouterTestSupport() {
    }

    /** Properties for a sandboxed router with fast timings and a fresh image store. */
    /**
     * Live mode with providers that point nowhere and are never reached: their keys are read from a
     * variable every environment sets ({@code PATH}), since tests cannot set environment variables.
     */
    public static Map<String, Object> liveWithUnreachableProviders() {
        Map<String, Object> p = new HashMap<>(fastSandbox());
        p.put("router.sandbox.mode", "false");
        p.put("router.providers.leonardo-phoenix.api-key-env", "PATH");
        p.put("router.providers.leonardo-phoenix.base-url", "http://127.0.0.1:9/api/rest/v1");
        p.put("router.providers.openai-gpt-image-2.api-key-env", "PATH");
        p.put("router.providers.openai-gpt-image-2.base-url", "http://127.0.0.1:9/v1");
        return p;
    }

    public static Map<String, String> fastSandbox() {
        Map<String, String> p = new HashMap<>();
        p.put("router.sandbox.mode", "true");
        p.put("router.sandbox.pending-min", "100ms");
        p.put("router.sandbox.pending-max", "200ms");
        p.put("router.storage.dir", tempDir("images").toString());
        p.put("router.policy.SERVER_ERROR.backoff", "300ms");
        p.put("router.policy.NETWORK.backoff", "300ms");
        p.put("router.providers.leonardo-phoenix.timeout", "3s");
        p.put("router.providers.leonardo-phoenix.poll.initial-delay", "50ms");
        p.put("router.providers.leonardo-phoenix.poll.max-delay", "100ms");
        p.put("router.providers.leonardo-phoenix.poll.jitter", "0");
        p.put("router.providers.openai-gpt-image-2.timeout", "5s");
        // the shipped file assumes OpenAI's usage tier 1 (5 images a minute): tests send more
        p.put("router.providers.openai-gpt-image-2.resilience.limit-for-period", "100000");
        // the shipped files set finite daily budgets and sandbox costs count: tests send more
        p.put("router.providers.openai-gpt-image-2.daily-budget-usd", "1000000");
        p.put("router.providers.leonardo-phoenix.daily-budget-credits", "100000000");
        return p;
    }

    public static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory("image-router-" + prefix);
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Decodes an image and returns {width, height}; fails the test if it does not decode. */
    public static int[] imageSize(byte[] bytes) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            if (image == null) {
                throw new AssertionError("not a decodable image (" + bytes.length + " bytes)");
            }
            return new int[]{image.getWidth(), image.getHeight()};
        } catch (IOException e) {
            throw new AssertionError("not a decodable image", e);
        }
    }

    /** Whether the bytes start with the PNG signature. */
    public static boolean isPng(byte[] bytes) {
        return bytes.length > 8 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G';
    }
}
