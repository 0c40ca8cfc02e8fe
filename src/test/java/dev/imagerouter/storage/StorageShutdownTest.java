package dev.imagerouter.storage;

import dev.imagerouter.testing.RouterTestSupport;
import io.micronaut.context.ApplicationContext;
import io.micronaut.inject.qualifiers.Qualifiers;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing the application waits for storage work that is already running (an image being written). */
class StorageShutdownTest {

    @Test
    void closingTheApplication_waitsForRunningStorageWork() throws Exception {
        Map<String, Object> properties = new HashMap<>(RouterTestSupport.fastSandbox());
        properties.put("micronaut.server.port", -1);
        AtomicBoolean finished = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        try (ApplicationContext context = ApplicationContext.run(properties)) {
            ExecutorService storageIo = context.getBean(ExecutorService.class, Qualifiers.byName("storage-io"));
            storageIo.execute(() -> {
                started.countDown();
                try {
                    Thread.sleep(700); // simulates slow work (a write and fsync under load), not a wait of the test
                    finished.set(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(started.await(5, TimeUnit.SECONDS));
        }
        assertTrue(finished.get(), "the application closed while storage work was still running");
    }
}
