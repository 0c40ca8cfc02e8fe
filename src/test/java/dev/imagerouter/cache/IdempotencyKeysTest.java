package dev.imagerouter.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link IdempotencyKeys} on its own: a bound per client, expiry by injected time, failures forgotten. */
class IdempotencyKeysTest {

    private static final Duration TTL = Duration.ofHours(24);
    private final AtomicLong nanos = new AtomicLong();
    private final Ticker ticker = nanos::get;

    /** Counts its calls and answers each with a new completed result. */
    private static final class Start implements Supplier<CompletableFuture<String>> {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public CompletableFuture<String> get() {
            return CompletableFuture.completedFuture("result " + calls.incrementAndGet());
        }
    }

    @Test
    void aClientPastItsMaximum_forgetsOnlyItsOwnKeys() {
        IdempotencyKeys<String> keys = new IdempotencyKeys<>(TTL, 3, ticker);
        Start b = new Start();
        keys.resolve("b", "b-key", "hash-b", b);

        // A client sends many more keys than its maximum, each several times (so each is used more than B's)
        Start a = new Start();
        for (int i = 0; i < 50; i++) {
            for (int repeat = 0; repeat < 3; repeat++) {
                keys.resolve("a", "a-key-" + i, "hash-a", a);
            }
        }

        assertEquals(50, a.calls.get(), "one start per distinct key of A");
        assertTrue(keys.keyCount("a") <= 3, "A's keys: " + keys.keyCount("a"));
        assertEquals(1, keys.keyCount("b"));
        IdempotencyKeys.Replay<String> replay = keys.resolve("b", "b-key", "hash-b", b);
        assertTrue(replay.replayed());
        assertEquals("result 1", replay.result().join());
        assertEquals(1, b.calls.get());
    }

    @Test
    void theSameKeyOfTwoClients_isTwoKeys() {
        IdempotencyKeys<String> keys = new IdempotencyKeys<>(TTL, 10, ticker);
        Start start = new Start();

        assertFalse(keys.resolve("a", "job-1", "hash-1", start).replayed());
        // another client may use the same key for another request: no 422, its own generation
        IdempotencyKeys.Replay<String> other = keys.resolve("b", "job-1", "hash-2", start);

        assertFalse(other.replayed());
        assertEquals(2, start.calls.get());
        assertThrows(IdempotencyKeys.KeyReusedException.class, () -> keys.resolve("a", "job-1", "hash-2", start));
    }

    @Test
    void aKeyIsForgottenAfterTheTtl_andAfterAFailure() {
        IdempotencyKeys<String> keys = new IdempotencyKeys<>(TTL, 10, ticker);
        Start start = new Start();
        keys.resolve("a", "job-1", "hash-1", start);
        assertTrue(keys.resolve("a", "job-1", "hash-1", start).replayed());

        nanos.addAndGet(TTL.plusSeconds(1).toNanos());
        assertFalse(keys.resolve("a", "job-1", "hash-1", start).replayed());

        IdempotencyKeys.Replay<String> failed = keys.resolve("a", "job-2", "hash-2",
                () -> CompletableFuture.failedFuture(new IllegalStateException("chain failed")));
        assertTrue(failed.result().isCompletedExceptionally());
        assertFalse(keys.resolve("a", "job-2", "hash-2", start).replayed());
        // a start that throws instead of failing its future is a failure too: the key is not left bound
        IdempotencyKeys.Replay<String> thrown = keys.resolve("a", "job-3", "hash-3", () -> {
            throw new IllegalStateException("refused");
        });
        assertTrue(thrown.result().isCompletedExceptionally());
        assertFalse(keys.resolve("a", "job-3", "hash-3", start).replayed());
    }

    @Test
    void aMaximumBelowOne_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> new IdempotencyKeys<String>(TTL, 0, ticker));
    }
}
