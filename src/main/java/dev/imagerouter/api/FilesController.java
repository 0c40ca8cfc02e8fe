package dev.imagerouter.api;

import dev.imagerouter.storage.ImageStore;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves stored images at their stable URL, {@code GET /v1/images/files/{sha256}.{ext}}.
 *
 * <p>The name is the content's SHA-256, so a file never changes: responses carry
 * {@code ETag: "<sha256>"} and {@code Cache-Control: public, max-age=31536000, immutable}, and an
 * {@code If-None-Match} that names the ETag (strong or weak form, in a list, or {@code *})
 * gets {@code 304 Not Modified} without a body. A name that is not 64 lowercase hex characters
 * plus {@code .png|.jpeg|.webp}, or an image not in the store, is a 404 in the OpenAI error shape.
 * Not behind client auth: the URLs are unguessable content hashes and are meant to be embedded.
 */
@Controller("/v1/images/files")
public class FilesController {

    /** One year, the longest max-age caches honour (RFC 9111 §5.2.2.1 guidance; {@code immutable} per RFC 8246). */
    static final String CACHE_CONTROL = "public, max-age=31536000, immutable";
    private static final Pattern NAME = Pattern.compile("^([0-9a-f]{64})\\.(png|jpeg|webp)$");

    private final ImageStore store;

    public FilesController(ImageStore store) {
        this.store = store;
    }

    /**
     * @param name        {@code <sha256>.<ext>}
     * @param ifNoneMatch the request's {@code If-None-Match}, if any
     * @return 200 with the bytes, or 304 when the client's copy is current
     * @throws ApiException 404 when the name is invalid or the image is not stored
     */
    @Get("/{name}")
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<byte[]> file(@PathVariable String name,
                                     @Nullable @Header(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        Matcher matcher = NAME.matcher(name);
        if (!matcher.matches()) {
            throw notFound(name);
        }
        String sha256 = matcher.group(1);
        String extension = matcher.group(2);
        Path path = store.find(sha256, extension).orElseThrow(() -> notFound(name));
        String etag = "\"" + sha256 + "\"";
        if (ifNoneMatch != null && matchesEtag(ifNoneMatch, etag)) {
            return withCacheHeaders(HttpResponse.notModified(), etag);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw notFound(name); // deleted between find and read
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stored image " + name, e);
        }
        return withCacheHeaders(HttpResponse.ok(bytes), etag)
                .contentType(MediaType.of(ImageStore.CONTENT_TYPES.get(extension)))
                .contentLength(bytes.length)
                .header("X-Content-Type-Options", "nosniff");
    }

    private static <T> MutableHttpResponse<T> withCacheHeaders(MutableHttpResponse<T> response, String etag) {
        return response.header(HttpHeaders.ETAG, etag).header(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL);
    }

    /**
     * RFC 9110 §13.1.2: {@code If-None-Match} uses weak comparison, so {@code W/"x"} matches
     * {@code "x"}; the value is {@code *} or a comma-separated list of entity tags.
     */
    static boolean matchesEtag(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.strip();
            if (tag.equals("*")) {
                return true;
            }
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static ApiException notFound(String name) {
        return ApiException.notFound("No image file named '" + abbreviate(name) + "'.");
    }

    private static String abbreviate(String name) {
        return name.length() <= 80 ? name : name.substring(0, 80) + "...";
    }
}
