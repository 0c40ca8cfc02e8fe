package dev.imagerouter.launcher;

import dev.imagerouter.testing.S3Server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link ReplicasAcceptance} with the images and per-hash records in one S3-compatible bucket (a real
 * S3 API server, S3Proxy, in a process of its own) and no directory shared: each replica keeps only
 * its own local state under its own {@code router.storage.dir}.
 */
class ReplicasAcceptanceS3Test extends ReplicasAcceptance {

    private String bucket;

    @Override
    protected synchronized Map<String, String> storeEnvironment(Path work, int index) {
        S3Server s3 = S3Server.shared();
        if (bucket == null) {
            bucket = s3.newBucket();
        }
        Map<String, String> env = new HashMap<>(s3.env(bucket));
        env.put("ROUTER_STORAGE_DIR", work.resolve("replica-" + index).toString());
        return env;
    }
}
