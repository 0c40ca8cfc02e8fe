package dev.imagerouter.api;

import dev.imagerouter.cache.CachedGeneration;
import dev.imagerouter.routing.RunningRouter;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.storage.StorageUnavailableException;
import dev.imagerouter.vocabulary.ImageRequest;
import jakarta.inject.Singleton;

import dev.imagerouter.storage.ImageContent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * The body of a synchronous answer ({@code POST /v1/images/generations}), built from a stored
 * generation; also a succeeded job's {@code result}, which is exactly that body. With
 * {@code b64_json} it reads the stored images: call it off the event loop.
 */
@Singleton
final class Answers {

    /** Retry-After of an image that vanished during a b64_json read: a retry generates it again. */
    private static final Duration MISSING_IMAGE_RETRY = Duration.ofSeconds(1);

    private final RunningRouter runtime;
    private final ImageStore store;

    Answers(RunningRouter runtime, ImageStore store) {
        this.runtime = runtime;
        this.store = store;
    }

    /**
     * @param url    whether each image carries {@code url}
     * @param base64 whether each image carries {@code b64_json}
     * @param base   {@code scheme://host[:port]} the client addressed, for image URLs
     * @throws ApiException                400 when the b64_json images exceed {@code router.api.max-b64-bytes}
     * @throws StorageUnavailableException 503 when an image vanished from the store
     */
    GenerationResponse render(CachedGeneration generation, boolean cached, String requestHash, ImageRequest request,
                              boolean url, boolean base64, String base) {
        ImageStore.GenerationRecord record = generation.record();
        if (base64) {
            checkB64Size(record);
        }
        List<GenerationResponse.ImageData> data = record.images().stream().map(image -> new GenerationResponse.ImageData(
                url ? runtime.config().storage().fileUrl(image.fileName(), base) : null,
                base64 ? Base64.getEncoder().encodeToString(read(image)) : null)).toList();
        GenerationResponse.Cost cost = record.cost().map(c -> new GenerationResponse.Cost(c.amount(), c.unit())).orElse(null);
        GenerationResponse.RouterInfo info = new GenerationResponse.RouterInfo(record.provider(), record.model(),
                requestHash, cached, record.normalised(),
                cached ? List.of() : GenerationResponse.AttemptInfo.of(generation.attempts()), cost);
        return new GenerationResponse(record.created().getEpochSecond(), data, request.width() + "x" + request.height(),
                request.outputFormat(), record.usage().map(GenerationResponse.Usage::of).orElse(null), info);
    }

    /**
     * Refuses a {@code b64_json} (or streamed) answer whose stored images add up to more than
     * {@code router.api.max-b64-bytes}: it would be held whole in memory, base64-encoded (4/3 larger).
     *
     * @throws ApiException 400 {@code invalid_value}, {@code param} {@code response_format}
     */
    private void checkB64Size(ImageStore.GenerationRecord record) {
        long limit = runtime.config().api().maxB64Bytes();
        long total = record.images().stream().mapToLong(ImageStore.StoredImage::size).sum();
        if (total > limit) {
            throw ApiException.invalid("response_format", "invalid_value", "The images of this answer are " + total
                    + " bytes, over the " + limit + " bytes that b64_json may carry (router.api.max-b64-bytes). Ask for"
                    + " \"response_format\": \"url\" (without \"stream\"): the images are stored and cached, so"
                    + " that request is answered from the cache without a new generation.");
        }
    }

    /**
     * The stored bytes of an image for {@code b64_json}, from the disk or the bucket.
     *
     * @throws StorageUnavailableException (503 {@code storage_unavailable}) when the image vanished
     *                                     after the cache checked it, or the store cannot be reached
     * @throws UncheckedIOException        (503 too) when it cannot be read
     */
    private byte[] read(ImageStore.StoredImage image) {
        try (ImageContent content = store.open(image.sha256(), image.extension()).orElseThrow(() -> missing(image))) {
            return content.stream().readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stored image " + image.fileName(), e);
        }
    }

    private static StorageUnavailableException missing(ImageStore.StoredImage image) {
        return new StorageUnavailableException("Stored image " + image.fileName() + " vanished while it was read.",
                MISSING_IMAGE_RETRY);
    }
}
