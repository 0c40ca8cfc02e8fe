package dev.imagerouter.provider.openai;

import com.openai.core.http.Headers;
import com.openai.core.http.HttpResponse;
import com.openai.errors.OpenAIIoException;
import dev.imagerouter.vocabulary.FailureKind;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How OpenAiProvider reads a 200 answer's body: its images, or the right failure kind. */
class OpenAiAnswerReadTest {

    private final AtomicBoolean closed = new AtomicBoolean();

    /** A 200 answer whose body is {@code body} (the SDK's response type; bodies are in memory). */
    private HttpResponse answer(InputStream body) {
        return new HttpResponse() {
            @Override
            public int statusCode() {
                return 200;
            }

            @Override
            public Headers headers() {
                return Headers.builder().build();
            }

            @Override
            public InputStream body() {
                return body;
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
    }

    @Test
    void aReadableBody_givesItsImages_andTheAnswerIsClosed() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        String json = "{\"data\":[{\"b64_json\":\"" + java.util.Base64.getEncoder().encodeToString(png) + "\"}]}";

        ImagesResponseReader.Images images = OpenAiProvider.readImages(
                answer(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))));

        assertArrayEquals(png, images.images().get(0));
        assertTrue(closed.get());
    }

    @Test
    void aBodyThatBreaksOffWhileRead_isANetworkFailure_notAMalformedAnswer() {
        InputStream breaksOff = new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent++ < 10) {
                    return '{';
                }
                throw new IOException("connection reset");
            }
        };

        OpenAIIoException e = assertThrows(OpenAIIoException.class, () -> OpenAiProvider.readImages(answer(breaksOff)));

        assertEquals(FailureKind.NETWORK, new OpenAiFailureClassifier(Clock.systemUTC()).classify(e).kind());
        assertTrue(closed.get());
    }
}
