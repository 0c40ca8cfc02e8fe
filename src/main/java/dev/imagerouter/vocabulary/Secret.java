package dev.imagerouter.vocabulary;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A credential read from configuration (client key, admin key, webhook key). Comparison is in
 * constant time over SHA-256 digests ({@link MessageDigest#isEqual}), so neither the content nor
 * the length of the secret leaks through response timing; {@link #toString()} never shows it, so
 * a record holding a {@code Secret} can be logged safely. Immutable, thread-safe.
 */
public final class Secret {

    private final String value;
    private final byte[] digest;

    private Secret(String value) {
        this.value = value;
        this.digest = sha256(value);
    }

    /** @throws IllegalArgumentException when the value is null or empty */
    public static Secret of(String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("a secret must not be empty");
        }
        return new Secret(value);
    }

    /** Whether {@code presented} is this secret; constant time in the secret's content and length. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(sha256(presented), digest);
    }

    /** The secret itself, for the places that must use it (the sandbox emulator's callbacks, the job callback signer). Never log it. */
    public String reveal() {
        return value;
    }

    /** The SHA-256 of a presented credential, for comparing one presented value against several secrets. */
    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    public boolean matchesDigest(byte[] presentedDigest) {
        return MessageDigest.isEqual(presentedDigest, digest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && MessageDigest.isEqual(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return "****";
    }
}
