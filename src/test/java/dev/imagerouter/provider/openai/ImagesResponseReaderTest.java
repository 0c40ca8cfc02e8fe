package dev.imagerouter.provider.openai;

import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.FailureKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImagesResponseReaderTest {

    private static final byte[] FIRST = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
    private static final byte[] SECOND = new byte[70_000];

    static {
        for (int i = 0; i < SECOND.length; i++) {
            SECOND[i] = (byte) (i * 31);
        }
    }

    private static ImagesResponseReader.Images read(String json) {
        return ImagesResponseReader.read(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Test
    void readsEveryImageInOrder_andTheQuality_skippingEveryOtherField() {
        // A full gpt-image-1 answer (WIRE.md §1.2) with fields before, between and after, nested ones included
        ImagesResponseReader.Images images = read("""
                {"created": 1713833628, "background": "opaque",
                 "data": [ {"revised_prompt": "x", "b64_json": "%s", "extra": {"a": [1, {"b": null}]}},
                           {"b64_json": "%s"} ],
                 "output_format": "png", "quality": "high", "size": "1024x1024",
                 "usage": {"input_tokens": 50, "input_tokens_details": {"image_tokens": 0, "text_tokens": 50},
                           "output_tokens": 272, "total_tokens": 322},
                 "added_later": [[], {}]}
                """.formatted(b64(FIRST), b64(SECOND)));

        assertEquals(2, images.images().size());
        assertArrayEquals(FIRST, images.images().get(0));
        assertArrayEquals(SECOND, images.images().get(1));
        assertEquals(Optional.of("high"), images.quality());
    }

    @Test
    void quality_isEmptyWhenTheAnswerDoesNotStateIt() {
        assertEquals(Optional.empty(), read("{\"data\":[{\"b64_json\":\"" + b64(FIRST) + "\"}]}").quality());
    }

    @Test
    void unpaddedBase64_isReadAsTheJdkDecoderWould() {
        // 7 bytes encode to 10 characters plus "==": without the padding it is still one image
        String unpadded = b64(FIRST).replace("=", "");
        assertArrayEquals(FIRST, read("{\"data\":[{\"b64_json\":\"" + unpadded + "\"}]}").images().get(0));
    }

    @Test
    void base64WithJsonEscapes_isDecodedAsTheSameImage() {
        // JSON may escape any character: "\/" for "/" and \u0041 for "A". The bytes in the body then
        // are not base64, so the reader must decode the unescaped string instead.
        String plain = b64(SECOND);
        assertTrue(plain.contains("/"), "the test needs a '/' in the base64");
        String escaped = plain.replace("/", "\\/").replaceFirst("A", "\\\\u0041");
        assertTrue(escaped.contains("\\u0041"));
        assertArrayEquals(SECOND, read("{\"data\":[{\"b64_json\":\"" + escaped + "\"},{\"b64_json\":\"" + plain + "\"}]}")
                .images().get(0));
        assertArrayEquals(SECOND, read("{\"data\":[{\"b64_json\":\"" + escaped + "\"},{\"b64_json\":\"" + plain + "\"}]}")
                .images().get(1));
    }

    @Test
    void base64TheJdkDecoderRefuses_isStillDecodedAsJacksonDid() {
        // Whitespace inside the string: java.util.Base64 refuses it, Jackson's decoder (the only
        // one before) skips it, so such an answer must still give its image, not MALFORMED_RESPONSE.
        String spaced = b64(SECOND).substring(0, 40) + " " + b64(SECOND).substring(40);
        assertArrayEquals(SECOND, read("{\"data\":[{\"b64_json\":\"" + spaced + "\"}]}").images().get(0));
    }

    @Test
    void aLargeImage_isDecodedByteForByte() {
        byte[] large = new byte[3 * 1024 * 1024 + 1]; // ~4 MiB of base64, the size of a real gpt-image PNG
        new java.util.Random(7).nextBytes(large);
        assertArrayEquals(large, read("{\"data\":[{\"b64_json\":\"" + b64(large) + "\"}],\"quality\":\"low\"}").images().get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",                                                     // empty body
            "not json",                                             // not JSON
            "[]",                                                   // not an object
            "{}",                                                   // no data
            "{\"data\": []}",                                       // no images
            "{\"data\": {}}",                                       // data not an array
            "{\"data\": [{}]}",                                     // the emulator's malformed fault: no b64_json
            "{\"data\": [{\"b64_json\": null}]}",                   // null b64_json
            "{\"data\": [{\"b64_json\": \"\"}]}",                   // empty b64_json
            "{\"data\": [{\"b64_json\": \"@@not base64@@\"}]}",     // invalid base64
            "{\"data\": [{\"url\": \"https://example.com/i.png\"}]}", // a URL instead of base64
            "{\"data\": [\"iVBORw0KGgo=\"]}",                       // element not an object
            "{\"data\": [{\"b64_json\": \"iVBORw0KGgo=\"}"          // cut off mid-answer
    })
    void anythingButImages_isMalformedResponse(String body) {
        ProviderFailure failure = assertThrows(ProviderFailure.class, () -> read(body));
        assertEquals(FailureKind.MALFORMED_RESPONSE, failure.kind());
        assertEquals(Optional.of(200), failure.httpStatus());
        assertTrue(failure.getMessage() != null && !failure.getMessage().isBlank());
    }
}
