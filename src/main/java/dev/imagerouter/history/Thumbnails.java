package dev.imagerouter.history;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.imagerouter.storage.ImageNormaliser;
import dev.imagerouter.storage.ImageContent;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.vocabulary.ImageRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/*
 * A thumbnail is a small derivative of a stored image, made once by the server so that the console's
 * grid never loads full images for the browser to scale: at most LONG_SIDE px on the long side, the
 * image's aspect kept, lossy WebP at quality 0.80 (JPEG where the WebP encoder did not load). It goes
 * through the image normaliser (decode, resize, encode) and into the image store with ImageStore.put,
 * so it is content-addressed like any image, written durably, served by /v1/images/files/... and
 * works on whatever backend the store has. The store has no notion of "thumbnail of": which thumbnail
 * belongs to which image is the history's own data (HistoryEntry.Image), and this class remembers it
 * for the newest images (a bounded map, seeded from the history read at startup) so that a second
 * answer with the same image (a cache hit, a replay) does not decode and encode it again.
 * An image missing from the store or one that does not decode has no thumbnail (logged); the next
 * answer with that image tries again.
 */
/** Makes (once) and remembers the thumbnails of stored images. Thread-safe; blocking (decode, encode, file I/O). */
final class Thumbnails {

    /** The long side of a thumbnail in pixels: two grid columns' worth on a high-density screen. */
    static final int LONG_SIDE = 256;
    /** Lossy quality, 0..100: at 256 px the difference to 0.90 is invisible and the file a third smaller. */
    static final int QUALITY = 80;
    /** Image names whose thumbnail is remembered (about 200 bytes each). */
    static final int REMEMBERED = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(Thumbnails.class);

    private final ImageStore store;
    private final ImageNormaliser normaliser;
    private final Cache<String, String> byImage = Caffeine.newBuilder().maximumSize(REMEMBERED).build();
    private final AtomicLong made = new AtomicLong();

    Thumbnails(ImageStore store, ImageNormaliser normaliser) {
        this.store = store;
        this.normaliser = normaliser;
    }

    /**
     * The thumbnail of a stored image: the one made before, or one made now.
     *
     * @param image  the image's name in the store, {@code <sha256>.<ext>}
     * @param width  its width in pixels
     * @param height its height in pixels
     * @return the thumbnail's name in the store, or empty when none could be made (logged)
     */
    Optional<String> of(String image, int width, int height) {
        String known = byImage.getIfPresent(image);
        if (known != null) {
            return Optional.of(known);
        }
        try {
            int dot = image.lastIndexOf('.');
            Optional<ImageContent> content = dot < 0 ? Optional.empty() : store.open(image.substring(0, dot), image.substring(dot + 1));
            if (content.isEmpty()) {
                LOG.warn("no thumbnail for image {}: it is not in the store", image);
                return Optional.empty();
            }
            byte[] bytes;
            try (ImageContent stored = content.get()) {
                bytes = stored.stream().readAllBytes(); // from the disk or the bucket
            }
            int[] size = size(width, height);
            String format = normaliser.outputFormats().contains("webp") ? "webp" : "jpeg";
            ImageNormaliser.NormalisedImage thumbnail = normaliser.normalise(bytes, size[0], size[1], format,
                    Optional.of(QUALITY), ImageRequest.BACKGROUND_AUTO);
            String name = store.put(thumbnail.bytes(), thumbnail.format()).fileName();
            made.incrementAndGet();
            byImage.put(image, name);
            return Optional.of(name);
        } catch (IOException | RuntimeException e) {
            LOG.warn("no thumbnail for image {}: {}", image, e.toString());
            return Optional.empty();
        }
    }

    /** Remembers a thumbnail made earlier (read back from the history). */
    void remember(String image, String thumbnail) {
        byImage.put(image, thumbnail);
    }

    /** How many thumbnails this process has encoded (not counting the ones remembered or reused). */
    long made() {
        return made.get();
    }

    /** {width, height} of the thumbnail of a {@code width x height} image: {@link #LONG_SIDE} on the long side, aspect kept. */
    static int[] size(int width, int height) {
        if (width >= height) {
            return new int[]{LONG_SIDE, (int) Math.max(1, Math.round((double) LONG_SIDE * height / width))};
        }
        return new int[]{(int) Math.max(1, Math.round((double) LONG_SIDE * width / height)), LONG_SIDE};
    }
}
