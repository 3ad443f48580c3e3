import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// Hummingbird's HTTP/1.1 child channel with one handler of the service's own between the
/// connection-state handler and the router: it sees every request's parts first and may answer
/// some itself on the connection's event loop (the gateway forwards, media answers cached files);
/// whatever it passes on reaches the router as usual.
///
/// Note for such handlers: Hummingbird's connection-state handler in front of them does not pass
/// `channelInactive` on; a handler learns that its connection closed in `handlerRemoved`.
public struct EdgeChannel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let makeHandler: @Sendable () -> any RemovableChannelHandler

    /// The server: `makeHandler` makes the handler of each new connection.
    public static func server(_ makeHandler: @escaping @Sendable () -> any RemovableChannelHandler) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in EdgeChannel(base: HTTP1Channel(responder: responder), makeHandler: makeHandler) }
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let state = try channel.pipeline.syncOperations.handler(type: HTTPConnectionStateHandler.self)
            try channel.pipeline.syncOperations.addHandler(makeHandler(), position: .after(state))
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Request counts and durations of requests answered outside the router, labelled as the router's
/// are (route template, method, status), the handles made once per label set.
public final class RouteMetrics: Sendable {
    struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private let handles = NIOLockedValueBox<[Key: (Counter, Metrics.Timer)]>([:])

    /// Creates an empty set.
    public init() {}

    /// Counts a request answered outside the router that began at `start` (uptime nanoseconds), and
    /// writes the debug access line the router's request-id middleware writes for its own.
    public func answered(_ request: HTTPRequest, route: String, status: Int, requestID: String, start: UInt64, logger: Logger) {
        let nanoseconds = Int64(DispatchTime.now().uptimeNanoseconds - start)
        record(route: route, method: request.method.rawValue, status: status, nanoseconds: nanoseconds)
        guard logger.logLevel <= .debug else { return }
        var logger = logger
        logger[metadataKey: "requestId"] = .string(requestID)
        logger.debug("request", metadata: ["method": .string(request.method.rawValue), "path": .string(request.path ?? ""),
                                           "status": .stringConvertible(status), "ms": .stringConvertible(nanoseconds / 1_000_000)])
    }

    /// Counts one request and its duration.
    func record(route: String, method: String, status: Int, nanoseconds: Int64) {
        let key = Key(route: route, method: method, status: status)
        let (counter, timer) = handles.withLockedValue { handles in
            if let found = handles[key] { return found }
            let dimensions = [("http.route", route), ("http.request.method", method), ("http.response.status_code", String(status))]
            let made = (Counter(label: "hb.requests", dimensions: dimensions),
                        Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
            handles[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(nanoseconds)
    }
}

/// The `Date` header's value (RFC 9110's IMF-fixdate), formatted once per second.
public enum HTTPDate {
    private static let cache = NIOLockedValueBox<(second: Int, text: String)>((0, ""))

    /// Now.
    public static var now: String {
        var clock = time(nil)
        let second = Int(clock)
        if let cached = cache.withLockedValue({ $0.second == second ? $0.text : nil }) { return cached }
        var parts = tm()
        gmtime_r(&clock, &parts)
        var buffer = [Int8](repeating: 0, count: 40)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        let text = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        cache.withLockedValue { $0 = (second, text) }
        return text
    }
}

extension HTTPRequest {
    /// The client asked to close the connection after the answer (`Connection: close`).
    public var asksToClose: Bool {
        headerFields[.connection].map { $0.lowercased().contains("close") } ?? false
    }
}

/// An answer a service can give from memory, without a task: a status, headers and a body.
public struct ImmediateAnswer: Sendable {
    /// The answer's head.
    public var response: HTTPResponse
    /// The body (nil for none; HEAD answers drop it).
    public var body: ByteBuffer?
    /// The route template, for metrics.
    public var route: String

    /// Creates an answer.
    public init(response: HTTPResponse, body: ByteBuffer?, route: String) {
        self.response = response
        self.body = body
        self.route = route
    }
}

/// Answers the GET and HEAD requests `answer` can answer from memory on the connection's event
/// loop, with the headers every Plexus answer carries (`X-Request-ID`, `Date`, `Server`), and passes
/// every other request to the router. Order is kept without holding reads: a request arriving while
/// the router still works on an earlier one of the connection goes to the router too.
public final class ImmediateAnswerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// Finds an answer for a request head; nil passes the request to the router.
    public typealias Answer = @Sendable (HTTPRequest) -> ImmediateAnswer?

    let answer: Answer
    let serverName: String
    let metrics: RouteMetrics
    let logger: Logger
    /// Requests the router has and has not finished answering.
    var routerRequests = 0
    /// A request this handler answers, until its end is read.
    struct Pending {
        let answer: ImmediateAnswer
        let request: HTTPRequest
        let requestID: String
        let start: UInt64
    }

    var pending: Pending?
    var wroteSinceFlush = false
    var closing = false

    /// Creates the handler of one connection.
    public init(serverName: String, metrics: RouteMetrics, logger: Logger, answer: @escaping Answer) {
        self.answer = answer
        self.serverName = serverName
        self.metrics = metrics
        self.logger = logger
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let pending {
            // the request this handler answers: its body (none is expected) is dropped
            if case .end = part {
                self.pending = nil
                write(pending, context: context)
            }
            return
        }
        if case .head(let request) = part, routerRequests == 0, !closing, request.method == .get || request.method == .head,
           let found = answer(request) {
            let requestID = RequestIDMiddleware.accept(request.headerFields[.requestID]) ?? RequestTrace.newRequestID()
            pending = Pending(answer: found, request: request, requestID: requestID, start: DispatchTime.now().uptimeNanoseconds)
            return
        }
        if case .head = part { routerRequests += 1 }
        context.fireChannelRead(data)
    }

    func write(_ pending: Pending, context: ChannelHandlerContext) {
        var response = pending.answer.response
        response.headerFields[.requestID] = pending.requestID
        response.headerFields[.date] = HTTPDate.now
        response.headerFields[.server] = serverName
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if pending.request.method != .head, let body = pending.answer.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(body)), promise: nil)
        }
        if pending.request.asksToClose {
            closing = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
            wroteSinceFlush = true
        }
        metrics.answered(pending.request, route: pending.answer.route, status: response.status.code, requestID: pending.requestID,
                         start: pending.start, logger: logger)
    }

    /// Answers written while reading go out together when the read is done (pipelined requests share a write).
    public func channelReadComplete(context: ChannelHandlerContext) {
        if wroteSinceFlush {
            wroteSinceFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { routerRequests = max(0, routerRequests - 1) }
        context.write(data, promise: promise)
    }
}
