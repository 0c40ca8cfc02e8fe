package dev.imagerouter.provider.openai;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.imagerouter.vocabulary.ProviderFailure;
import dev.imagerouter.vocabulary.ProviderResult;
import dev.imagerouter.vocabulary.FailureKind;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/*
 * Why not the SDK's ImagesResponse: the SDK reads the body into a JSON tree and then converts the
 * tree into its model, so each multi-MiB b64_json string is held twice before our Base64 decode
 * makes the third copy, and for the small images of the overhead benchmark that parse was ~7 % of
 * the router's CPU per generation (bench/RESULTS.md, fourth round). Here one streaming pass finds
 * each b64_json, and the JDK's decoder decodes it straight from the body bytes: about twice as fast
 * as Jackson's own base64 decoding, which appends byte by byte (bench/RESULTS.md, fifth round). A
 * string with JSON escapes in it, or one the JDK decoder refuses, is decoded by Jackson as before.
 */
/**
 * Reads the body of a 200 answer to {@code POST /images/generations} (an {@code ImagesResponse},
 * shared/specs/openai/GPT-IMAGE-2.md §3): the decoded {@code data[].b64_json} images, in order, the
 * resolved {@code quality} and the token {@code usage} when the answer carries them. Every other
 * field ({@code created}, {@code size}, {@code background}, {@code output_format},
 * {@code revised_prompt}, and fields added later) is skipped. Stateless and thread-safe.
 */
final class ImagesResponseReader {

    /** The images, the quality the model resolved ({@code low|medium|high}) and the token usage, if stated. */
    record Images(List<byte[]> images, Optional<String> quality, Optional<ProviderResult.Usage> usage) {
    }

    // The SDK's own limit for a string is Jackson's default (20 MB); one gpt-image image is a few
    // MiB of base64, and a 256 MiB body is the transport's cap, so strings up to that are allowed.
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(NettyHttpTransport.MAX_RESPONSE_BYTES).build())
            .build();

    // Standard base64 without line feeds, padding optional: what java.util.Base64.getDecoder() (the
    // decoder used before this reader) accepts. Jackson's default variant requires the padding.
    private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS
            .withReadPadding(Base64Variant.PaddingReadBehaviour.PADDING_ALLOWED);

    private ImagesResponseReader() {
    }

    /**
     * @param body the whole response body (UTF-8 JSON)
     * @return at least one image
     * @throws ProviderFailure MALFORMED_RESPONSE when the body is not JSON, not an object, has no
     *                         {@code data} images, or an image has no or invalid {@code b64_json}
     */
    static Images read(byte[] body) {
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw malformed("response is not a JSON object");
            }
            List<byte[]> images = new ArrayList<>();
            String quality = null;
            ProviderResult.Usage usage = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("data".equals(field) && value == JsonToken.START_ARRAY) {
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        images.add(image(parser, body));
                    }
                } else if ("quality".equals(field) && value == JsonToken.VALUE_STRING) {
                    quality = parser.getText();
                } else if ("usage".equals(field) && value == JsonToken.START_OBJECT) {
                    usage = usage(parser);
                } else {
                    parser.skipChildren();
                }
            }
            if (images.isEmpty()) {
                throw malformed("response has no images");
            }
            return new Images(images, Optional.ofNullable(quality), Optional.ofNullable(usage));
        } catch (IOException e) {
            throw malformed("response is not valid JSON: " + e.getClass().getSimpleName());
        }
    }

    /**
     * {@code usage}, the parser on its START_OBJECT: {@code input_tokens}, {@code output_tokens},
     * {@code total_tokens}, {@code input_tokens_details.{text_tokens,image_tokens}}; a missing count is 0
     * (a missing text count is all of {@code input_tokens}), a non-integer one is MALFORMED_RESPONSE.
     */
    private static ProviderResult.Usage usage(JsonParser parser) throws IOException {
        long input = 0, output = 0, total = -1, text = -1, image = 0;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "input_tokens" -> input = count(parser, value, field);
                case "output_tokens" -> output = count(parser, value, field);
                case "total_tokens" -> total = count(parser, value, field);
                case "input_tokens_details" -> {
                    if (value != JsonToken.START_OBJECT) {
                        parser.skipChildren();
                        break;
                    }
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String detail = parser.currentName();
                        JsonToken v = parser.nextToken();
                        if ("text_tokens".equals(detail)) {
                            text = count(parser, v, detail);
                        } else if ("image_tokens".equals(detail)) {
                            image = count(parser, v, detail);
                        } else {
                            parser.skipChildren();
                        }
                    }
                }
                default -> parser.skipChildren();
            }
        }
        return new ProviderResult.Usage(input, output, total < 0 ? input + output : total, text < 0 ? input - image : text, image);
    }

    private static long count(JsonParser parser, JsonToken value, String field) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT || parser.getLongValue() < 0) {
            throw malformed("usage." + field + " is not a token count");
        }
        return parser.getLongValue();
    }

    /** One {@code data[]} element, the parser (reading {@code body}) on its START_OBJECT. */
    private static byte[] image(JsonParser parser, byte[] body) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw malformed("data[] holds a " + parser.currentToken() + ", not an image object");
        }
        byte[] bytes = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("b64_json".equals(field) && value == JsonToken.VALUE_STRING) {
                bytes = decode(parser, body);
            } else {
                parser.skipChildren();
            }
        }
        if (bytes == null || bytes.length == 0) {
            throw malformed("image without b64_json");
        }
        return bytes;
    }

    /**
     * The current VALUE_STRING token decoded as base64: straight from {@code body} with the JDK's
     * decoder when the string holds no escape, otherwise (or when the JDK decoder refuses it, e.g.
     * for embedded whitespace that Jackson skips) through Jackson's decoder with {@link #BASE64}.
     * The parser is left on the token either way, so the next {@code nextToken()} skips it.
     */
    private static byte[] decode(JsonParser parser, byte[] body) throws IOException {
        long quote = parser.currentTokenLocation().getByteOffset();
        if (quote >= 0 && quote < body.length && body[(int) quote] == '"') {
            int start = (int) quote + 1;
            int end = start;
            while (end < body.length && body[end] != '"' && body[end] != '\\') {
                end++;
            }
            if (end < body.length && body[end] == '"') {
                try {
                    ByteBuffer decoded = Base64.getDecoder().decode(ByteBuffer.wrap(body, start, end - start));
                    if (decoded.hasArray() && decoded.arrayOffset() == 0 && decoded.position() == 0
                            && decoded.remaining() == decoded.array().length) {
                        return decoded.array(); // the decoder sized its output exactly: no copy
                    }
                    byte[] bytes = new byte[decoded.remaining()];
                    decoded.get(bytes);
                    return bytes;
                } catch (IllegalArgumentException e) {
                    // not what the JDK decoder accepts: let Jackson's decoder decide
                }
            }
        }
        try {
            return parser.getBinaryValue(BASE64);
        } catch (IOException | IllegalArgumentException e) {
            throw malformed("b64_json is not valid base64");
        }
    }

    private static ProviderFailure malformed(String message) {
        return new ProviderFailure(FailureKind.MALFORMED_RESPONSE, message, 200);
    }
}
