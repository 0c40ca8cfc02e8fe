package dev.imagerouter.cache;

import dev.imagerouter.vocabulary.ImageRequest;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RequestHasherTest {

    private final RequestHasher hasher = new RequestHasher();

    private static ImageRequest base() {
        return new ImageRequest("a red fox in the snow", Optional.empty(), 1536, 864, 1, "auto",
                Optional.empty(), Optional.empty(), "png", Optional.empty());
    }

    @Test
    void equalRequestsBuiltDifferently_hashTheSame() {
        // Given two equal requests, one built with nulls the record turns into empties, one with
        // explicit empties and freshly built strings
        ImageRequest a = new ImageRequest("a red fox in the snow", null, 1536, 864, 1, "auto", null, null, "png", null);
        ImageRequest b = new ImageRequest(new String("a red fox ") + "in the snow", Optional.empty(), 1536, 864, 1,
                new StringBuilder("au").append("to").toString(), Optional.empty(), Optional.empty(), "png", Optional.empty());

        // Then their hashes are equal, lowercase hex, 64 characters
        assertEquals(hasher.hash(a, Optional.empty()), hasher.hash(b, Optional.empty()));
        assertEquals(64, hasher.hash(a, Optional.empty()).length());
        assertEquals(hasher.hash(a, Optional.empty()).toLowerCase(), hasher.hash(a, Optional.empty()));
    }

    @Test
    void everyFieldChangesTheHash() {
        ImageRequest b = base();
        List<ImageRequest> variants = List.of(
                b,
                new ImageRequest("a red fox in the snow!", b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), Optional.of("blur"), b.width(), b.height(), b.n(), b.quality(), b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), Optional.of(""), b.width(), b.height(), b.n(), b.quality(), b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), 1024, b.height(), b.n(), b.quality(), b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), 1024, b.n(), b.quality(), b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                // width and height swapped must not collide
                new ImageRequest(b.prompt(), b.negativePrompt(), 864, 1536, b.n(), b.quality(), b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), 2, b.quality(), b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), "high", b.style(), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), Optional.of("CINEMATIC"), b.seed(), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), Optional.of(42L), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), Optional.of(0L), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), Optional.of(4_294_967_338L), b.outputFormat(), b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), b.seed(), "jpeg", b.sandboxFaults()));

        Set<String> hashes = new HashSet<>();
        for (ImageRequest variant : variants) {
            hashes.add(hasher.hash(variant, Optional.empty()));
        }
        assertEquals(variants.size(), hashes.size(), "every variant has its own hash");
    }

    @Test
    void gptImage2Fields_changeTheHashOnlyWhenSet_andDeliveryFieldsNever() {
        ImageRequest b = base();
        ImageRequest defaults = new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(),
                b.style(), b.seed(), b.outputFormat(), "auto", "auto", Optional.empty(), Optional.empty(), 0, b.sandboxFaults());
        // auto/auto/absent hash exactly as a request from before these fields existed
        assertEquals(hasher.canonicalJson(b, Optional.empty()), hasher.canonicalJson(defaults, Optional.empty()));
        ImageRequest opaque = new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(),
                b.style(), b.seed(), "jpeg", "opaque", "low", Optional.of(80), Optional.empty(), 0, b.sandboxFaults());
        assertTrue(hasher.canonicalJson(opaque, Optional.empty())
                .contains("\"background\":\"opaque\",\"height\""), hasher.canonicalJson(opaque, Optional.empty()));
        assertTrue(hasher.canonicalJson(opaque, Optional.empty()).contains("\"moderation\":\"low\",\"n\":1,\"output_compression\":80,"));
        Set<String> hashes = new HashSet<>();
        for (ImageRequest r : List.of(opaque,
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), b.seed(),
                        "jpeg", "auto", "low", Optional.of(80), Optional.empty(), 0, b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), b.seed(),
                        "jpeg", "opaque", "auto", Optional.of(80), Optional.empty(), 0, b.sandboxFaults()),
                new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(), b.style(), b.seed(),
                        "jpeg", "opaque", "low", Optional.of(81), Optional.empty(), 0, b.sandboxFaults()))) {
            hashes.add(hasher.hash(r, Optional.empty()));
        }
        assertEquals(4, hashes.size());
        // the caller's id and how the answer is delivered are not the request
        ImageRequest delivered = new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(),
                b.style(), b.seed(), "jpeg", "opaque", "low", Optional.of(80), Optional.of("user-7"), 3, b.sandboxFaults());
        assertEquals(hasher.hash(opaque, Optional.empty()), hasher.hash(delivered, Optional.empty()));
    }

    @Test
    void namespaceChangesTheHash_andEmptyNamespaceIsNotAbsentNamespace() {
        String none = hasher.hash(base(), Optional.empty());
        String acme = hasher.hash(base(), Optional.of("acme"));
        String other = hasher.hash(base(), Optional.of("other"));
        String blank = hasher.hash(base(), Optional.of(""));
        assertEquals(4, Set.of(none, acme, other, blank).size());
        assertEquals(acme, hasher.hash(base(), Optional.of("acme")));
    }

    @Test
    void sandboxFaults_doNotChangeTheHash() {
        ImageRequest b = base();
        ImageRequest faulty = new ImageRequest(b.prompt(), b.negativePrompt(), b.width(), b.height(), b.n(), b.quality(),
                b.style(), b.seed(), b.outputFormat(), Optional.of("leonardo=429,openai=timeout@0.5"));
        assertEquals(hasher.hash(b, Optional.empty()), hasher.hash(faulty, Optional.empty()));
    }

    @Test
    void canonicalJson_escapesQuotesControlsAndKeepsUnicode() {
        ImageRequest tricky = new ImageRequest("say \"hi\"\\ \n\t\u0001 caf\u00e9 \ud83e\udd8a \u2028", Optional.of("x\ud800y"),
                1024, 1024, 1, "auto", Optional.empty(), Optional.of(-1L), "png", Optional.empty());

        assertEquals("{\"height\":1024,\"n\":1,\"negative_prompt\":\"x\\ud800y\",\"output_format\":\"png\","
                        + "\"prompt\":\"say \\\"hi\\\"\\\\ \\n\\t\\u0001 caf\u00e9 \ud83e\udd8a \u2028\",\"quality\":\"auto\","
                        + "\"seed\":-1,\"v\":1,\"width\":1024}",
                hasher.canonicalJson(tricky, Optional.empty()));
        // An unpaired surrogate must not collide with the '?' that UTF-8 encoding would turn it into
        ImageRequest question = new ImageRequest(tricky.prompt(), Optional.of("x?y"), 1024, 1024, 1, "auto",
                Optional.empty(), Optional.of(-1L), "png", Optional.empty());
        assertNotEquals(hasher.hash(tricky, Optional.empty()), hasher.hash(question, Optional.empty()));
        // Composed and decomposed forms are different strings: no Unicode normalisation here
        assertNotEquals(hasher.hash(new ImageRequest("caf\u00e9", null, 1024, 1024, 1, "auto", null, null, "png", null), Optional.empty()),
                hasher.hash(new ImageRequest("cafe\u0301", null, 1024, 1024, 1, "auto", null, null, "png", null), Optional.empty()));
    }

    @Test
    void knownVector_guardsTheCanonicalForm() {
        // The documented example. If this fails the canonical form changed: bump
        // RequestHasher.CANONICAL_VERSION so old cache keys and records are not misread. The literal is
        // `printf %s '<the JSON below>' | sha256sum`, computed outside Java.
        ImageRequest example = new ImageRequest("a \"red\" fox", Optional.empty(), 1536, 864, 1, "auto",
                Optional.empty(), Optional.of(42L), "png", Optional.empty());
        assertEquals("{\"height\":864,\"n\":1,\"namespace\":\"acme\",\"output_format\":\"png\",\"prompt\":\"a \\\"red\\\" fox\","
                + "\"quality\":\"auto\",\"seed\":42,\"v\":1,\"width\":1536}", hasher.canonicalJson(example, Optional.of("acme")));
        assertEquals("2ce7047db43ae02e46863011c092d92289d42f88ac5377210564f7da925d019a", hasher.hash(example, Optional.of("acme")));
    }

    @Test
    void nullsAreRejected() {
        assertThrows(NullPointerException.class, () -> hasher.hash(null, Optional.empty()));
        assertThrows(NullPointerException.class, () -> hasher.hash(base(), null));
    }
}
