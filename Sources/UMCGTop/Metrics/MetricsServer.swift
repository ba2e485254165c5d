import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server for `/metrics` on swift-nio: one event-loop thread of its own (not a
/// libdispatch worker), answering `GET /metrics` with the endpoint's latest bytes and 404 otherwise.
public final class MetricsServer {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The port actually bound (the requested one, or the kernel's choice for port 0).
    public let port: Int

    /// Binds `address` and starts serving `endpoint`; throws when the address cannot be bound.
    public init(address: MetricsAddress, endpoint: MetricsEndpoint) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                // On the channel's event loop: the handler is not Sendable and never leaves it.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(endpoint: endpoint))
                }
            }
        do {
            channel = try bootstrap.bind(host: address.host, port: address.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.group = group
        port = channel.localAddress?.port ?? address.port
    }

    /// Closes the listening socket and joins the event-loop thread.
    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// One connection: answers each request from the endpoint's latest bytes.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoint: MetricsEndpoint
    private var head: HTTPRequestHead?

    init(endpoint: MetricsEndpoint) { self.endpoint = endpoint }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            head = nil
            respond(to: h, context: context)
        }
    }

    private func respond(to h: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = h.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let status: HTTPResponseStatus
        var body: ByteBuffer
        var headers = HTTPHeaders()
        if path != "/metrics" {
            status = .notFound
            body = context.channel.allocator.buffer(string: "not found; try /metrics\n")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        } else if h.method != .GET && h.method != .HEAD {
            status = .methodNotAllowed
            body = context.channel.allocator.buffer(capacity: 0)
            headers.add(name: "Allow", value: "GET, HEAD")
        } else {
            status = .ok
            // The buffer the UI loop built at its last refresh: shared, not copied.
            body = endpoint.buffer
            if h.method == .HEAD { body.moveReaderIndex(to: body.writerIndex) }
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        }
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        let keepAlive = h.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: status, headers: headers))), promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        // The future completes on this handler's event loop, where `context` lives.
        if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
