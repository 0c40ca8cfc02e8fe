package dev.imagerouter.provider.openai;

import com.openai.errors.OpenAIIoException;
import dev.imagerouter.vocabulary.FailureKind;
import dev.imagerouter.vocabulary.ProviderFailure;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Clock;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An OpenAI call that left without an answer may have been billed: it is AMBIGUOUS and never retried. */
class OpenAiAmbiguityTest {

    private final OpenAiFailureClassifier classifier = new OpenAiFailureClassifier(Clock.systemUTC());

    @Test
    void aResetAfterTheRequestLeft_isAmbiguous() {
        ProviderFailure f = classifier.classify(new OpenAIIoException("io", new IOException("Connection reset by peer")));
        assertEquals(FailureKind.NETWORK, f.kind());
        assertEquals(ProviderFailure.Phase.AMBIGUOUS, f.phase());
    }

    @Test
    void aReadTimeout_isAmbiguous() {
        ProviderFailure f = classifier.classify(new OpenAIIoException("io", new SocketTimeoutException("read timed out")));
        assertEquals(FailureKind.TIMEOUT, f.kind());
        assertEquals(ProviderFailure.Phase.AMBIGUOUS, f.phase());
    }

    @Test
    void aRefusedConnection_neverLeft_soItMayBeRetried() {
        ProviderFailure f = classifier.classify(new OpenAIIoException("io", new ConnectException("Connection refused")));
        assertEquals(FailureKind.NETWORK, f.kind());
        assertEquals(ProviderFailure.Phase.BEFORE_ACCEPT, f.phase());
    }
}
