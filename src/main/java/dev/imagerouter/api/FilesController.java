package dev.imagerouter.api;

import dev.imagerouter.routing.RunningRouter;

import dev.imagerouter.storage.ImageStore;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.http.server.types.files.StreamedFile;

import dev.imagerouter.storage.ImageContent;

import java.io.IOException;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/*
 * Why a StreamedFile over our own InputStream and not a SystemFile: a SystemFile would let Netty send
 * the file zero-copy, but Micronaut gives no signal when that write has finished or the client went
 * away, and the per-client bound below must give its slot back at exactly that moment. The same
 * stream serves both backends: a file on disk, or a bucket's GetObject body, which the SDK reads from
 * its HTTP connection as Micronaut asks for chunks (the connection goes back to the pool when the
 * image was read to its end, and is aborted when the client left before). Micronaut reads
 * a StreamedFile's stream in chunks on its I/O pool only as the connection can take them, and closes
 * the stream when the response ends, fails or the client disconnects; the close gives the slot back.
 * A slow reader therefore holds a chunk and Netty's write buffer, never the whole file.
 */

/**
 * Serves stored images at their stable URL, {@code GET /v1/images/files/{sha256}.{ext}}.
 *
 * <p>The name is the content's SHA-256, so a file never changes: responses carry
 * {@code ETag: "<sha256>"}, {@code Cache-Control: public, max-age=31536000, immutable},
 * {@code X-Content-Type-Options: nosniff} and {@code Content-Length}, and an {@code If-None-Match} that
 * names the ETag (strong or weak form, in a list, or {@code *}) gets {@code 304 Not Modified} without a
 * body. A name that is not 64 lowercase hex characters plus {@code .png|.jpeg|.webp}, or an image not in
 * the store, is a 404 in the OpenAI error shape.
 *
 * <p>The body is streamed from disk (or the bucket, {@code router.storage.s3.*}) in chunks as the client
 * reads it; a store that cannot be reached is 503 {@code storage_unavailable}. One
 * client (its key's name when it sent one, else its remote address) may have at most
 * {@code router.storage.max-concurrent-downloads-per-client} responses in progress; the next gets 429
 * {@code rate_limit_exceeded} with {@code Retry-After: 1} in the OpenAI error shape. A 304 takes no slot.
 * Not behind client auth by default: the URLs are unguessable content hashes and are meant to be embedded.
 */
@Controller("/v1/images/files")
public class FilesController {

    /** One year, the longest max-age caches honour (RFC 9111 §5.2.2.1 guidance; {@code immutable} per RFC 8246). */
    static final String CACHE_CONTROL = "public, max-age=31536000, immutable";
    private static final Pattern NAME = Pattern.compile("^([0-9a-f]{64})\\.(png|jpeg|webp)$");

    private final ImageStore store;
    private final RunningRouter runtime;
    private final FileDownloads downloads;

    public FilesController(ImageStore store, RunningRouter runtime, FileDownloads downloads) {
        this.store = store;
        this.runtime = runtime;
        this.downloads = downloads;
    }

    /**
     * @param name        {@code <sha256>.<ext>}
     * @param ifNoneMatch the request's {@code If-None-Match}, if any
     * @return 200 with the bytes streamed from the store, or 304 when the client's copy is current
     * @throws ApiException 404 when the name is invalid or the image is not stored; 429 when the client
     *                      already has the bound of file responses in progress
     * @throws dev.imagerouter.storage.StorageUnavailableException 503 when the store cannot be reached
     */
    @Get("/{name}")
    @ExecuteOn(TaskExecutors.BLOCKING)
    public HttpResponse<?> file(HttpRequest<?> request, @PathVariable String name,
                                @Nullable @Header(HttpHeaders.IF_NONE_MATCH) String ifNoneMatch) {
        Matcher matcher = NAME.matcher(name);
        if (!matcher.matches()) {
            throw notFound(name);
        }
        String sha256 = matcher.group(1);
        String extension = matcher.group(2);
        String etag = "\"" + sha256 + "\"";
        if (ifNoneMatch != null && matchesEtag(ifNoneMatch, etag)) {
            store.find(sha256, extension).orElseThrow(() -> notFound(name)); // a stat, or a HEAD: no body is read
            return withCacheHeaders(HttpResponse.notModified(), etag);
        }
        String client = request.getAttribute(ApiErrorHandlers.CLIENT_NAME, String.class)
                .orElseGet(() -> request.getRemoteAddress().getAddress().getHostAddress());
        int bound = runtime.config().storage().maxConcurrentDownloadsPerClient();
        Runnable release = downloads.tryAcquire(client, bound);
        if (release == null) {
            throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "Too many image downloads in progress for this client: "
                    + bound + " at once (router.storage.max-concurrent-downloads-per-client). Retry after 1 s.",
                    "requests", null, "rate_limit_exceeded", Map.of(HttpHeaders.RETRY_AFTER, "1"), null);
        }
        ImageContent content;
        try {
            content = store.open(sha256, extension).orElse(null);
        } catch (RuntimeException e) {
            release.run();
            throw e; // the store cannot be reached: 503 storage_unavailable
        }
        if (content == null) {
            release.run();
            throw notFound(name);
        }
        long size = content.size();
        InputStream in = new FilterInputStream(content.stream()) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    release.run();
                }
            }
        };
        MediaType type = MediaType.of(ImageStore.CONTENT_TYPES.get(extension));
        StreamedFile body = new StreamedFile(in, type, 0, size);
        return withCacheHeaders(HttpResponse.ok(body), etag)
                .contentType(type)
                .contentLength(size)
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
