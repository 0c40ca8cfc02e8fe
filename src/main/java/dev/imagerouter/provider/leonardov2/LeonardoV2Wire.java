package dev.imagerouter.provider.leonardov2;

import dev.imagerouter.provider.leonardo.LeonardoWire;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

import java.util.List;

/**
 * Leonardo's v2 wire shapes (shared/specs/leonardo/UPDATES-2026.md §1.2). Every field is nullable and unknown
 * fields are ignored (the models list's per-model JSON Schema, {@code parameters}, is not read).
 */
final class LeonardoV2Wire {

    private LeonardoV2Wire() {
    }

    /**
     * {@code POST /api/rest/v2/generations} → {@code {"generate":{"generationId","apiCreditCost","cost":{"amount","unit"}}}}:
     * the same job fields as v1's {@code sdGenerationJob}, all optional ([H] for generationId, [M] for the costs).
     */
    @Serdeable
    record CreateResponse(@Nullable LeonardoWire.SdGenerationJob generate) {
    }

    /** {@code GET /api/rest/v2/models} → {@code {"productionApiAvailableModels":[{"id","name","parameters"}]}} [M]. */
    @Serdeable
    record ModelsResponse(@Nullable List<ModelEntry> productionApiAvailableModels) {
    }

    /** One model: {@code id} is a UUID (the v1 model id where one exists), {@code name} its display name; no slug. */
    @Serdeable
    record ModelEntry(@Nullable String id, @Nullable String name) {
    }
}
