package dev.imagerouter.api;

import dev.imagerouter.storage.ImageNormaliser;
import dev.imagerouter.storage.ImageStore;
import dev.imagerouter.testing.ApiClient;
import dev.imagerouter.testing.SandboxHttpTest;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A stored WebP is served like the other formats, over real HTTP: {@code Content-Type: image/webp},
 * the content-hash ETag, immutable caching, a 304 on {@code If-None-Match}.
 */
@MicronautTest
class WebpFileHttpTest extends SandboxHttpTest {

    @Inject
    ImageStore store;

    @Test
    void storedWebp_isServedAsImageWebp_withEtagAndImmutableCaching() throws IOException {
        // Given a WebP in the store, as the normaliser makes it
        BufferedImage picture = new BufferedImage(320, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = picture.createGraphics();
        g.setColor(Color.ORANGE);
        g.fillRect(0, 0, 320, 200);
        g.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(picture, "png", png);
        byte[] webp = new ImageNormaliser().normalise(png.toByteArray(), 160, 100, "webp").bytes();
        ImageStore.StoredImage stored = store.put(webp, "webp");

        // When it is fetched by its URL
        ApiClient.Response file = api.get("/v1/images/files/" + stored.fileName());

        // Then it comes back byte for byte, as image/webp, cacheable forever
        assertEquals(200, file.status());
        assertEquals("image/webp", file.header("Content-Type"));
        assertEquals("\"" + stored.sha256() + "\"", file.header("ETag"));
        assertEquals(FilesController.CACHE_CONTROL, file.header("Cache-Control"));
        assertEquals("nosniff", file.header("X-Content-Type-Options"));
        assertArrayEquals(webp, file.body());
        assertEquals(304, api.get("/v1/images/files/" + stored.fileName(), "If-None-Match", file.header("ETag")).status());
    }
}
