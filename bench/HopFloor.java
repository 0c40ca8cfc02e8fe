import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The floor under the router's overhead on this machine: an HTTP relay that does no work at all
 * (no parsing, no hashing, no storage) but crosses the same threads a generation crosses, on the
 * same transport (Netty, epoll) and JVM. It forwards each request's body to the upstream URL and
 * relays the answer. Benchmarks only; loopback only.
 *
 * <p>Modes:
 * <ul>
 *   <li>{@code router}: the router's four hand-offs: server event loop → fork-join common pool
 *       (where the OpenAI SDK runs every request) → client event loop → a storage pool thread
 *       (where the router stores the image before answering) → server event loop.</li>
 *   <li>{@code proxy}: a plain relay's two hand-offs: server event loop → client event loop →
 *       server event loop.</li>
 * </ul>
 *
 * <p>Usage (the project jar provides Netty):
 * {@code java -cp target/image-router-0.1.0-SNAPSHOT.jar bench/HopFloor.java <port> <mode> <upstream-host> <upstream-port> <upstream-path> <authorization>}
 */
public final class HopFloor {

    private static final AttributeKey<Consumer<FullHttpResponse>> WAITING = AttributeKey.valueOf("waiting");

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        boolean router = switch (args[1]) {
            case "router" -> true;
            case "proxy" -> false;
            default -> throw new IllegalArgumentException("mode is router or proxy, not " + args[1]);
        };
        String upstreamHost = args[2];
        int upstreamPort = Integer.parseInt(args[3]);
        String upstreamPath = args[4];
        String authorization = args[5];

        EventLoopGroup serverLoops = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("server"),
                EpollIoHandler.newFactory());
        EventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("client"),
                EpollIoHandler.newFactory());
        // like the router's storage-io pool: a bounded pool of platform threads
        ExecutorService storage = new ThreadPoolExecutor(8, 8, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory("storage", true));

        ChannelPool[] pool = new ChannelPool[1];
        ChannelPool upstream = new SimpleChannelPool(new Bootstrap().group(clientLoop).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true).remoteAddress(upstreamHost, upstreamPort),
                new AbstractChannelPoolHandler() {
                    @Override
                    public void channelCreated(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024 * 1024),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                                        Consumer<FullHttpResponse> waiting = ctx.channel().attr(WAITING).getAndSet(null);
                                        response.retain();
                                        pool[0].release(ctx.channel());
                                        waiting.accept(response);
                                    }
                                });
                    }
                });
        pool[0] = upstream;

        new ServerBootstrap().group(serverLoops).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1024 * 1024),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        ByteBuf body = request.content().retain();
                                        Consumer<FullHttpResponse> answer = response -> {
                                            Runnable reply = () -> {
                                                FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                        HttpResponseStatus.valueOf(response.status().code()),
                                                        Unpooled.copiedBuffer(response.content()));
                                                response.release();
                                                out.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                                                        .setInt(HttpHeaderNames.CONTENT_LENGTH, out.content().readableBytes());
                                                ctx.writeAndFlush(out); // from a storage thread: a task for the server loop
                                            };
                                            if (router) {
                                                storage.execute(reply);
                                            } else {
                                                reply.run();
                                            }
                                        };
                                        Runnable send = () -> upstream.acquire().addListener(acquired -> {
                                            if (!acquired.isSuccess()) {
                                                body.release();
                                                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                        HttpResponseStatus.BAD_GATEWAY)).addListener(f -> ctx.close());
                                                return;
                                            }
                                            Channel ch = (Channel) acquired.getNow();
                                            ch.attr(WAITING).set(answer);
                                            DefaultFullHttpRequest forward = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                                                    HttpMethod.POST, upstreamPath, body);
                                            forward.headers().set(HttpHeaderNames.HOST, upstreamHost + ":" + upstreamPort)
                                                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                                                    .set(HttpHeaderNames.AUTHORIZATION, authorization)
                                                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
                                            ch.writeAndFlush(forward);
                                        });
                                        if (router) {
                                            ForkJoinPool.commonPool().execute(send);
                                        } else {
                                            send.run();
                                        }
                                    }
                                });
                    }
                }).bind("127.0.0.1", port).sync();
        System.out.println("hop floor (" + args[1] + ") listening on 127.0.0.1:" + port);
        Thread.currentThread().join();
    }
}
