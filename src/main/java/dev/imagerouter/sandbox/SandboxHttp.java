package dev.imagerouter.sandbox;

import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpRequestWrapper;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.netty.NettyHttpRequest;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;

import java.util.concurrent.CompletableFuture;

/**
 * HTTP helpers shared by the emulators: raw-byte responses with an explicit content type, header
 * reading, and the {@code reset} fault.
 *
 * <p><b>How {@code reset} works.</b> The Micronaut request is unwrapped down to its
 * {@link NettyHttpRequest}; its {@code ChannelHandlerContext} gives the connection's Netty
 * channel (for an HTTP/2 stream, the parent connection channel, never the server channel).
 * {@code SO_LINGER} is set to 0 and the channel is closed, so the kernel sends a TCP RST instead
 * of a FIN: the client sees "connection reset" (or "unexpected end of stream") and no HTTP
 * response. The returned future completes once the channel is closed, with a 500 that Netty can
 * no longer write (it is dropped). When the request is not a Netty request (a test double or
 * another server runtime), the fallback is a 500 with {@code Connection: close} and an empty body.
 */
final class SandboxHttp {

    /** Content type of Leonardo's JSON answers (Leonardo WIRE.md §1 "Content-Type of responses"). */
    static final String LEONARDO_JSON = "application/json; charset=utf-8";
    /** Content type of OpenAI's JSON answers. */
    static final String OPENAI_JSON = "application/json";

    private SandboxHttp() {
    }

    /** A response with a raw body and an explicit content type. */
    static MutableHttpResponse<byte[]> raw(int status, String contentType, byte[] body) {
        return HttpResponse.<byte[]>status(HttpStatus.valueOf(status)).contentType(contentType).body(body);
    }

    /** A header's value, or null when absent. */
    static String header(HttpRequest<?> request, String name) {
        return request.getHeaders().get(name);
    }

    /** {@code http://<Host header>}, falling back to the server's own address. */
    static String baseUrl(HttpRequest<?> request) {
        String host = request.getHeaders().get(HttpHeaders.HOST);
        if (host == null || host.isBlank()) {
            host = request.getServerAddress().getHostString() + ":" + request.getServerAddress().getPort();
        }
        return "http://" + host;
    }

    /** The {@code reset} fault: see the class comment. */
    static CompletableFuture<HttpResponse<?>> reset(HttpRequest<?> request) {
        HttpRequest<?> r = request;
        while (r instanceof HttpRequestWrapper<?> w) {
            r = w.getDelegate();
        }
        if (r instanceof NettyHttpRequest<?> netty) {
            Channel channel = netty.getChannelHandlerContext().channel();
            while (channel.parent() != null && !(channel.parent() instanceof ServerChannel)) {
                channel = channel.parent();
            }
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // Not a TCP socket (e.g. an embedded channel): a plain close is the best we can do.
            }
            CompletableFuture<HttpResponse<?>> closed = new CompletableFuture<>();
            channel.close().addListener(f -> closed.complete(HttpResponse.serverError()));
            return closed;
        }
        return CompletableFuture.completedFuture(HttpResponse.serverError().header(HttpHeaders.CONNECTION, "close"));
    }
}
