package dev.imagerouter.cache;

import dev.imagerouter.vocabulary.Attempt;
import dev.imagerouter.storage.ImageStore;

import java.util.List;

/**
 * A stored generation as the cache holds it.
 *
 * @param record   the durable record (images in the store, provider, model, cost)
 * @param attempts the trail of the generation that produced it (empty when read back from disk)
 */
public record CachedGeneration(ImageStore.GenerationRecord record, List<Attempt> attempts) {

    public CachedGeneration {
        attempts = List.copyOf(attempts);
    }
}
