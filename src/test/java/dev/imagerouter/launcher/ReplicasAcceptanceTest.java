package dev.imagerouter.launcher;

import java.nio.file.Path;
import java.util.Map;

/** {@link ReplicasAcceptance} with the images on one directory every replica mounts (a shared volume). */
class ReplicasAcceptanceTest extends ReplicasAcceptance {

    @Override
    protected Map<String, String> storeEnvironment(Path work, int index) {
        return Map.of("ROUTER_STORAGE_DIR", work.resolve("shared-store").toString());
    }
}
