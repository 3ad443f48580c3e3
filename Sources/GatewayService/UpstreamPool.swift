import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Where a service listens, parsed once from its base URL (`http://host:port`).
struct UpstreamAddress: Sendable, Hashable {
    /// The service's name (its breaker, its log lines).
    let name: String
    let host: String
    let port: Int
    /// The `Host` header a forwarded request carries.
    let authority: String

    /// Nil unless `url` is a plain `http://host[:port]` base without a path: the edge speaks
    /// HTTP/1.1 to services on the internal network, as every service's own client does.
    init?(name: String, url: String) {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http",
              let host = components.host, !host.isEmpty, components.path.isEmpty || components.path == "/",
              components.query == nil, components.user == nil else { return nil }
        self.name = name
        self.host = host
        self.port = components.port ?? 80
        self.authority = components.port.map { "\(host):\($0)" } ?? host
    }
}

/// Keep-alive connections to the services, one pool per event loop, used only on that loop: a
/// client connection's requests are forwarded over connections of its own loop, so a proxied request
/// is read, forwarded, answered and written back on one thread without a lock or a task.
final class UpstreamPool: @unchecked Sendable {
    // Safe: every member is touched on `eventLoop` only (asserted).
    let eventLoop: any EventLoop
    private var idle: [UpstreamAddress: [any Channel]] = [:]
    /// Idle connections kept per service on this loop; more are closed when they come back.
    let maxIdlePerUpstream: Int
    let connectTimeout: TimeAmount

    init(eventLoop: any EventLoop, maxIdlePerUpstream: Int = 64, connectTimeout: TimeAmount = .seconds(2)) {
        self.eventLoop = eventLoop
        self.maxIdlePerUpstream = maxIdlePerUpstream
        self.connectTimeout = connectTimeout
    }

    /// An idle connection to `address`, most recently used first; closed ones are dropped.
    func take(_ address: UpstreamAddress) -> (any Channel)? {
        eventLoop.preconditionInEventLoop()
        while let channel = idle[address]?.popLast() {
            if channel.isActive { return channel }
        }
        return nil
    }

    /// Returns a connection whose exchange ended cleanly (kept for the next request).
    func give(_ channel: any Channel, to address: UpstreamAddress) {
        eventLoop.preconditionInEventLoop()
        guard channel.isActive else { return }
        if idle[address, default: []].count < maxIdlePerUpstream {
            idle[address, default: []].append(channel)
        } else {
            channel.close(promise: nil)
        }
    }

    /// Forgets a connection that closed while idle.
    func remove(_ channel: any Channel, of address: UpstreamAddress) {
        eventLoop.preconditionInEventLoop()
        idle[address]?.removeAll { $0 === channel }
    }

    /// A new connection to `address` on this loop: HTTP/1.1 client codecs and an ``UpstreamHandler``.
    func connect(_ address: UpstreamAddress) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(pool: self, address: address))
                }
            }
            .connect(host: address.host, port: address.port)
    }
}

/// What an upstream connection reports to the exchange using it.
protocol UpstreamExchange: AnyObject {
    func upstreamHead(_ head: HTTPResponseHead)
    func upstreamBody(_ buffer: ByteBuffer)
    func upstreamReadComplete()
    func upstreamEnd()
    /// The connection failed or closed before the answer ended.
    func upstreamFailed(_ error: any Error)
}

/// The last handler of an upstream connection: hands the answer's parts to the exchange using the
/// connection; an idle connection that closes leaves its pool, and one that speaks unasked is closed.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    let pool: UpstreamPool
    let address: UpstreamAddress
    /// The exchange using the connection; nil while it is idle in the pool.
    var exchange: (any UpstreamExchange)?
    /// Whether the current answer allows the connection to be used again.
    private(set) var keepAlive = true

    init(pool: UpstreamPool, address: UpstreamAddress) {
        self.pool = pool
        self.address = address
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else {
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx answers (100 Continue) are not forwarded: the edge sends the whole body at once.
            if head.status.code >= 100, head.status.code < 200 { return }
            keepAlive = head.isKeepAlive
            exchange.upstreamHead(head)
        case .body(let buffer):
            exchange.upstreamBody(buffer)
        case .end:
            self.exchange = nil
            exchange.upstreamEnd()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let exchange {
            self.exchange = nil
            exchange.upstreamFailed(error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let exchange {
            self.exchange = nil
            exchange.upstreamFailed(ChannelError.eof)
        } else {
            pool.remove(context.channel, of: address)
        }
        context.fireChannelInactive()
    }

    /// Starts an exchange on this connection.
    func begin(_ exchange: any UpstreamExchange) {
        self.exchange = exchange
        keepAlive = true
    }

    /// Stops reporting to the exchange (it ended early: its client left or it timed out).
    func abandon() {
        exchange = nil
    }
}
