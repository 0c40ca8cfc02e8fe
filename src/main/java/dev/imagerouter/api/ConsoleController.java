package dev.imagerouter.api;

import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/*
 * The console: one static page (HTML, CSS and a small vanilla script in the jar's resources under
 * console/), no front-end build step and no view-template module. The page needs no server-side
 * rendering: every datum on it comes from JSON endpoints that are tested on their own (/admin/chain,
 * /admin/generations, the generation and job endpoints) and is put into the page by the script with
 * textContent, so the shell is the same bytes for everyone and holds nothing secret. A template module
 * would add a dependency and a rendering path for nothing the browser cannot do itself.
 *
 * Access is /admin/**'s (EndpointAccess, ClientAuthFilter): open in sandbox mode without an admin key,
 * else the admin key only. A browser gets in through HTTP Basic: the 401 of /console challenges with
 * Basic, the browser asks for a user name (any) and password (the admin key) and then sends them with
 * every request of the page, the script's fetch calls to /admin/** included.
 *
 * Every answer carries a Content-Security-Policy that allows this origin only (scripts, styles,
 * images, fetch) and nothing inline, so the browser itself refuses any request that would leave the
 * router, and text from a prompt can never run as script. The files are read once, at startup, and
 * served from memory with a strong ETag (Cache-Control: no-cache: the browser revalidates, a new
 * version of the jar shows at once).
 */
/** {@code GET /console} and its files ({@code /console/console.css}, {@code /console/console.js}, {@code /console/icon.png}). */
@Controller("/console")
public class ConsoleController {

    /** The page's policy: this origin only, nothing inline, no framing, no forms posted anywhere. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    /** The files of the page, by the name they are served under, with their media types. */
    static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.css", "text/css; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "icon.png", "image/png");
    private static final String PAGE = "index.html";

    private record File(byte[] bytes, String type, String etag) {
    }

    private final Map<String, File> files = new LinkedHashMap<>();

    public ConsoleController() {
        FILES.forEach((name, type) -> {
            byte[] bytes = read(name);
            files.put(name, new File(bytes, type, "\"" + HexFormat.of().formatHex(sha256(bytes), 0, 16) + "\""));
        });
    }

    /** The page. */
    @Get
    public HttpResponse<byte[]> page(HttpRequest<?> request) {
        return serve(request, files.get(PAGE));
    }

    /**
     * One of the page's files.
     *
     * @throws ApiException 404 for any other name
     */
    @Get("/{name}")
    public HttpResponse<byte[]> file(HttpRequest<?> request, @PathVariable String name) {
        File file = PAGE.equals(name) ? null : files.get(name);
        if (file == null) {
            throw ApiException.notFound("No console file " + (name.length() > 60 ? name.substring(0, 60) + "…" : name) + ".");
        }
        return serve(request, file);
    }

    private static HttpResponse<byte[]> serve(HttpRequest<?> request, File file) {
        String ifNoneMatch = request.getHeaders().get(HttpHeaders.IF_NONE_MATCH);
        MutableHttpResponse<byte[]> response = ifNoneMatch != null && ifNoneMatch.contains(file.etag())
                ? HttpResponse.status(HttpStatus.NOT_MODIFIED)
                : HttpResponse.ok(file.bytes()).header(HttpHeaders.CONTENT_TYPE, file.type());
        return response.header(HttpHeaders.ETAG, file.etag())
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("X-Frame-Options", "DENY");
    }

    private static byte[] read(String name) {
        try (InputStream in = ConsoleController.class.getResourceAsStream("/console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks console/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("console/" + name + " cannot be read from the jar", e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
