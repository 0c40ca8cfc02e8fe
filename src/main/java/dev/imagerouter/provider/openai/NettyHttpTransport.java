package dev.imagerouter.provider.openai;

import com.openai.core.RequestOptions;
import com.openai.core.Timeout;
import com.openai.core.http.Headers;
import com.openai.core.http.HttpClient;
import com.openai.core.http.HttpRequest;
import com.openai.core.http.HttpRequestBody;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.QueryParams;
import com.openai.errors.OpenAIIoException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

// Over 300 lines because one HTTP transport for the OpenAI SDK: pool, request encoding, response reading and timeouts share the channel state (bench/RESULTS.md says why we keep our own).

/*
 * Why a Netty transport (bench/RESULTS.md, "Overhead"): the JDK HttpClient spent about a quarter of
 * the router's CPU per generation (its selector thread, its internal executor stages, a linear scan
 * of idle connections) and hands every response through four threads: selector → its executor →
 * the fork-join common pool (where it runs every dependent stage by design) → ours. Here one event
 * loop thread does the socket work and the response goes straight to the callback pool.
 * Like the JDK client and unlike the SDK's OkHttp transport there is no cap on calls in flight
 * (OkHttp's is 64): HTTP/1.1 needs a connection per call in flight, so the pool is unbounded and
 * idle connections close after IDLE_TIMEOUT. The SDK documents this extension point ("Custom HTTP
 * client", shared/specs/openai/WIRE.md §4.4).
 */
/**
 * The OpenAI SDK's HTTP transport on Netty: HTTP/1.1 with keep-alive, TLS (with host-name
 * verification) for {@code https} base URLs, and one event-loop thread per transport. Responses
 * are completed on the given callback executor, so the SDK's response handling (JSON parse, base64
 * of multi-MiB images) never runs on the event loop.
 * Failures are {@link OpenAIIoException}s as with the SDK's own transport: a whole-request timeout
 * has a {@link TimeoutException} cause, so the classifier maps it to TIMEOUT and everything else to
 * NETWORK. Thread-safe; {@link #close()} closes the connections and stops the event loop (the
 * callback executor belongs to the caller).
 */
public final class NettyHttpTransport implements HttpClient {

    /** Idle keep-alive connections are closed after this long (long enough to keep a warm connection between steady requests, short enough for a burst of thousands to drain away). */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** Largest response body accepted: gpt-image answers at most n=10 base64 PNGs of a few MiB each. */
    static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
    private static final Set<String> SET_HERE = Set.of("connection", "content-length", "host", "transfer-encoding");
    private static final AttributeKey<Exchange> EXCHANGE = AttributeKey.valueOf("openai-exchange");

    private record Origin(boolean tls, String host, int port) {
    }

    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelType;
    private final Executor callbacks;
    private final Duration defaultTimeout;
    private final int connectTimeoutMillis;
    private final Map<Origin, ChannelPool> pools = new ConcurrentHashMap<>();
    private volatile SslContext ssl;

    /**
     * @param connectTimeout TCP connect timeout
     * @param defaultTimeout whole-request timeout when the SDK passes none
     * @param callbacks      completes every response future (must not be an event loop; may block briefly)
     */
    public NettyHttpTransport(Duration connectTimeout, Duration defaultTimeout, Executor callbacks) {
        this.defaultTimeout = defaultTimeout;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
        // epoll where its native library loads (Linux, bundled): fewer system calls and no
        // selector garbage per wake-up than NIO; NIO everywhere else.
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("openai-netty", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        this.callbacks = callbacks;
    }

    @Override
    public HttpResponse execute(HttpRequest request, RequestOptions options) {
        try {
            return executeAsync(request, options).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new OpenAIIoException("Request failed", e.getCause());
        }
    }

    @Override
    public CompletableFuture<HttpResponse> executeAsync(HttpRequest request, RequestOptions options) {
        CompletableFuture<HttpResponse> result = new CompletableFuture<>();
        FullHttpRequest wire;
        Origin origin;
        try {
            URI uri = uri(request);
            origin = origin(uri);
            wire = toWire(request, uri, origin);
        } catch (IOException | RuntimeException e) {
            result.completeExceptionally(new OpenAIIoException("Request failed", e));
            return result;
        }
        long timeoutNanos = requestTimeout(options).toNanos();
        ChannelPool pool;
        try {
            pool = pool(origin);
        } catch (SSLException | RuntimeException e) {
            wire.release();
            result.completeExceptionally(new OpenAIIoException("Request failed", e));
            return result;
        }
        pool.acquire().addListener(acquired -> {
            if (!acquired.isSuccess()) {
                wire.release();
                fail(result, acquired.cause());
                return;
            }
            Channel channel = (Channel) acquired.getNow();
            Exchange exchange = new Exchange(result, pool, channel);
            channel.attr(EXCHANGE).set(exchange);
            exchange.timeout = channel.eventLoop().schedule(() -> exchange.fail(
                    new TimeoutException("no response within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"), true),
                    timeoutNanos, TimeUnit.NANOSECONDS);
            channel.writeAndFlush(wire).addListener(written -> {
                if (!written.isSuccess()) {
                    exchange.fail(written.cause(), true);
                }
            });
        });
        return result;
    }

    /** One request on one connection; completed once, on the callback pool. */
    private final class Exchange {
        final CompletableFuture<HttpResponse> result;
        final ChannelPool pool;
        final Channel channel;
        ScheduledFuture<?> timeout;
        boolean done; // event loop only

        Exchange(CompletableFuture<HttpResponse> result, ChannelPool pool, Channel channel) {
            this.result = result;
            this.pool = pool;
            this.channel = channel;
        }

        void succeed(HttpResponse response, boolean keepAlive) {
            if (!finish()) {
                return;
            }
            if (keepAlive) {
                pool.release(channel);
            } else {
                channel.close();
                pool.release(channel);
            }
            complete(() -> result.complete(response));
        }

        void fail(Throwable cause, boolean close) {
            if (!finish()) {
                return;
            }
            if (close) {
                channel.close();
            }
            pool.release(channel);
            NettyHttpTransport.this.fail(result, cause);
        }

        private boolean finish() {
            if (done) {
                return false;
            }
            done = true;
            channel.attr(EXCHANGE).set(null);
            if (timeout != null) {
                timeout.cancel(false);
            }
            return true;
        }
    }

    private void fail(CompletableFuture<HttpResponse> result, Throwable cause) {
        Throwable c = cause instanceof ClosedChannelException ? new IOException("connection closed by the server", cause) : cause;
        complete(() -> result.completeExceptionally(new OpenAIIoException("Request failed", c)));
    }

    /**
     * Runs a completion on the callback executor; if that refuses (it is shutting down), runs it
     * here, so no caller is left waiting on a future that never completes.
     */
    private void complete(Runnable completion) {
        try {
            callbacks.execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run();
        }
    }

    /** Reads one aggregated response for the channel's current exchange. */
    private final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            Exchange exchange = ctx.channel().attr(EXCHANGE).get();
            if (exchange == null) {
                ctx.close(); // an answer nobody asked for: the connection is out of step
                return;
            }
            Headers.Builder headers = Headers.builder();
            for (Map.Entry<String, String> h : response.headers()) {
                headers.put(h.getKey(), h.getValue());
            }
            byte[] body = ByteBufUtil.getBytes(response.content());
            exchange.succeed(new BufferedResponse(response.status().code(), headers.build(), body), HttpUtil.isKeepAlive(response));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            Exchange exchange = ctx.channel().attr(EXCHANGE).get();
            if (exchange != null) {
                exchange.fail(new IOException("connection closed before the response was complete"), false);
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Exchange exchange = ctx.channel().attr(EXCHANGE).get();
            if (exchange != null) {
                exchange.fail(cause, true);
            } else {
                ctx.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent && ctx.channel().attr(EXCHANGE).get() == null) {
                ctx.close(); // idle in the pool for IDLE_TIMEOUT; the pool's health check drops it
                return;
            }
            super.userEventTriggered(ctx, event);
        }
    }

    private record BufferedResponse(int statusCode, Headers headers, byte[] bytes) implements HttpResponse {
        @Override
        public InputStream body() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public void close() {
            // the body is in memory
        }
    }

    private ChannelPool pool(Origin origin) throws SSLException {
        ChannelPool pool = pools.get(origin);
        if (pool != null) {
            return pool;
        }
        SslContext tls = origin.tls() ? sslContext() : null;
        return pools.computeIfAbsent(origin, o -> new SimpleChannelPool(new Bootstrap().group(group)
                .channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .remoteAddress(o.host(), o.port()), new AbstractChannelPoolHandler() {
                    @Override
                    public void channelCreated(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast(tls.newHandler(ch.alloc(), o.host(), o.port()));
                        }
                        p.addLast(new IdleStateHandler(0, 0, IDLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                        p.addLast(new HttpClientCodec());
                        p.addLast(new HttpObjectAggregator(MAX_RESPONSE_BYTES));
                        p.addLast(new ResponseHandler());
                    }
                }, ChannelHealthChecker.ACTIVE, true, true));
    }

    private SslContext sslContext() throws SSLException {
        SslContext s = ssl;
        if (s == null) {
            synchronized (this) {
                if (ssl == null) {
                    ssl = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
                }
                s = ssl;
            }
        }
        return s;
    }

    /** The request's URL: base URL, then each path segment percent-encoded, then the query. */
    static URI uri(HttpRequest request) {
        String base = request.baseUrl();
        int end = base.length();
        while (end > 0 && base.charAt(end - 1) == '/') {
            end--;
        }
        StringBuilder url = new StringBuilder(base.substring(0, end));
        for (String segment : request.pathSegments()) {
            url.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        QueryParams query = request.queryParams();
        StringJoiner params = new StringJoiner("&");
        for (String key : query.keys()) {
            for (String value : query.values(key)) {
                params.add(URLEncoder.encode(key, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        }
        if (params.length() > 0) {
            url.append('?').append(params);
        }
        return URI.create(url.toString());
    }

    private static Origin origin(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("base URL must be http or https: " + uri);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("base URL has no host: " + uri);
        }
        boolean tls = scheme.equals("https");
        return new Origin(tls, uri.getHost(), uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80);
    }

    private static FullHttpRequest toWire(HttpRequest request, URI uri, Origin origin) throws IOException {
        String target = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            target += "?" + uri.getRawQuery();
        }
        FullHttpRequest wire = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method().name()), target);
        HttpRequestBody body = request.body();
        if (body != null) {
            ByteBuf content = wire.content();
            try (ByteBufOutputStream out = new ByteBufOutputStream(content)) {
                body.writeTo(out);
            } catch (IOException | RuntimeException e) {
                wire.release();
                throw e;
            }
        }
        Headers headers = request.headers();
        for (String name : headers.names()) {
            if (SET_HERE.contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            for (String value : headers.values(name)) {
                wire.headers().add(name, value);
            }
        }
        if (body != null && body.contentType() != null && !wire.headers().contains(HttpHeaderNames.CONTENT_TYPE)) {
            wire.headers().set(HttpHeaderNames.CONTENT_TYPE, body.contentType());
        }
        boolean defaultPort = origin.port() == (origin.tls() ? 443 : 80);
        wire.headers().set(HttpHeaderNames.HOST, defaultPort ? origin.host() : origin.host() + ":" + origin.port());
        wire.headers().set(HttpHeaderNames.CONTENT_LENGTH, wire.content().readableBytes());
        return wire;
    }

    private Duration requestTimeout(RequestOptions options) {
        Timeout t = options == null ? null : options.getTimeout();
        if (t == null) {
            return defaultTimeout;
        }
        Duration request = t.request();
        return request == null || request.isZero() ? defaultTimeout : request;
    }

    @Override
    public void close() {
        pools.values().forEach(ChannelPool::close);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
