package dev.imagerouter.routing;

import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.vocabulary.FailureKind;

import java.util.concurrent.CompletableFuture;

/**
 * Hears one request's walk down the chain, for an asynchronous job that records and streams its
 * progress. Called on whatever thread the walk is on; implementations are fast, never throw and
 * never block (a durable write is handed off and its future returned).
 */
public interface WalkObserver {

    /** The walk waits for {@code provider}'s rate-limit permit or concurrency slot (a queued job). */
    default void onWaiting(String provider) {
    }

    /**
     * The walk is about to call {@code provider} (the call may create a paid job). The call starts
     * only when the future completes with {@code true}: an observer that records the call durably
     * completes it once the record is on disk, so that after a crash an interrupted call is known
     * and never repeated. {@code false} cancels the walk (the job was cancelled meanwhile).
     */
    default CompletableFuture<Boolean> beforeCall(String provider) {
        return PROCEED;
    }

    /** {@code provider} accepted a paid job, {@code jobId} (a Leonardo generationId). */
    default void onAccepted(String provider, String jobId) {
    }

    /** An attempt ended (success, failure or skip). */
    default void onAttempt(Attempt attempt) {
    }

    /** The walk falls back from {@code from} to {@code to} ({@code none}: the chain ends). */
    default void onFallback(String from, String to, FailureKind kind) {
    }

    /** A completed {@code true}. */
    CompletableFuture<Boolean> PROCEED = CompletableFuture.completedFuture(true);

    /** Hears nothing; every call proceeds. */
    WalkObserver NONE = new WalkObserver() {
    };
}
