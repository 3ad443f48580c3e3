import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import PlexusKit

/// What the edge shares across connections: the route table, where each service listens, the
/// breakers, the token verifier, the rate limits, one upstream pool per event loop.
final class EdgeProxy: Sendable {
    let configuration: GatewayConfiguration
    let upstreams: [ServiceName: UpstreamAddress]
    let breakers: CircuitBreakers
    let verifier: any AccessTokenVerifier
    let limits: RateLimitMiddleware
    let corsOrigins: Set<String>
    let logger: Logger
    let metrics = RouteMetrics()
    private let pools = NIOLockedValueBox<[ObjectIdentifier: UpstreamPool]>([:])

    /// Fails when a service's URL is not a plain `http://host:port`.
    init(configuration: GatewayConfiguration, breakers: CircuitBreakers, verifier: any AccessTokenVerifier, limits: RateLimitMiddleware, logger: Logger) throws {
        var upstreams: [ServiceName: UpstreamAddress] = [:]
        for upstream in Set(configuration.routes.map(\.upstream)) {
            guard let url = configuration.common.serviceURLs[upstream] else { continue }
            guard let address = UpstreamAddress(name: upstream.rawValue, url: url) else {
                throw ConfigurationError(missing: [], malformed: ["the \(upstream.rawValue) URL '\(url)' (the gateway forwards to http://host:port)"])
            }
            upstreams[upstream] = address
        }
        self.configuration = configuration
        self.upstreams = upstreams
        self.breakers = breakers
        self.verifier = verifier
        self.limits = limits
        self.corsOrigins = Set(configuration.corsOrigins)
        self.logger = logger
    }

    /// This event loop's pool.
    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        pools.withLockedValue { pools in
            if let pool = pools[ObjectIdentifier(eventLoop)] { return pool }
            let pool = UpstreamPool(eventLoop: eventLoop)
            pools[ObjectIdentifier(eventLoop)] = pool
            return pool
        }
    }

    /// The gateway's HTTP/1.1 server: Hummingbird's channel with the edge handler in front of the router.
    func server() -> HTTPServerBuilder {
        EdgeChannel.server { EdgeProxyHandler(proxy: self) }
    }
}

/// One client connection's forwarding, on its event loop. A request the route table forwards is
/// checked (rate limit, method, body limit, bearer token), its body read whole, sent over a
/// keep-alive connection of the same loop, and the answer streamed back with the edge's headers;
/// anything else is passed to the router. Requests are answered in order: parts arriving while one
/// is being answered wait (and reading stops) until it is done.
final class EdgeProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamExchange {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Headers of one connection, never relayed either way (`Content-Length` of an answer is: the
    /// answer is relayed as it came).
    static let answerHopByHop: Set<String> = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                                              "transfer-encoding", "upgrade", "proxy-connection"]
    /// Request headers not forwarded: the connection's, and the ones the edge sets itself (`Host`,
    /// `Content-Length` of the body it read whole, `Expect`, answered by reading it whole).
    static let hopByHop = answerHopByHop.union(["host", "content-length", "expect"])

    static let traceparent = HTTPField.Name("traceparent")!

    /// One forwarded request.
    final class Exchange: @unchecked Sendable {
        // Safe: created, read and changed on its connection's event loop only (closures that
        // capture it run there: `NIOLoopBound`'s loop, futures of the same loop).
        let request: HTTPRequest
        let route: GatewayRoute?
        let upstream: UpstreamAddress?
        let requestID: String
        let traceparent: String
        let start = DispatchTime.now().uptimeNanoseconds
        /// Headers every answer to it carries (rate limit, security, CORS, request id).
        let edgeHeaders: HTTPFields
        var body: ByteBuffer?
        var requestEnded = false
        var verifying = false
        /// An answer (a refusal or the upstream's) has begun.
        var answered = false
        var dispatched = false
        var connection: (any Channel)?
        var reusedConnection = false
        var retried = false
        var timeout: Scheduled<Void>?
        var status = 0

        init(request: HTTPRequest, route: GatewayRoute?, upstream: UpstreamAddress?, requestID: String, traceparent: String, edgeHeaders: HTTPFields) {
            self.request = request
            self.route = route
            self.upstream = upstream
            self.requestID = requestID
            self.traceparent = traceparent
            self.edgeHeaders = edgeHeaders
        }
    }

    enum State {
        case idle
        /// The router has the request: done when all its parts were passed on and its answer ended
        /// (in either order: the router may answer before it has read the body).
        case passing(requestEnded: Bool, answered: Bool)
        case forwarding(Exchange)
    }

    let proxy: EdgeProxy
    var pool: UpstreamPool!
    var context: ChannelHandlerContext!
    var state = State.idle
    /// Parts of later requests, waiting until the current one is answered.
    var waiting = CircularBuffer<HTTPRequestPart>()
    var readHeld = false
    var draining = false
    var closed = false
    /// Parts passed to the router since the last read completed: the router's channel takes parts
    /// in when a read completes, so parts passed while draining need a completion of their own.
    var passedSinceReadComplete = false

    init(proxy: EdgeProxy) {
        self.proxy = proxy
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        pool = proxy.pool(for: context.eventLoop)
    }

    /// The connection closed (Hummingbird's connection-state handler in front does not pass
    /// `channelInactive` on, so this is where the edge learns it): a forwarded request in flight
    /// gives up its service connection, and late callbacks find the handler closed.
    func handlerRemoved(context: ChannelHandlerContext) {
        clientLeft()
        self.context = nil
    }

    func clientLeft() {
        closed = true
        if case .forwarding(let exchange) = state { dropConnection(of: exchange) }
    }

    // MARK: - Inbound

    /// Whether the current request still takes parts (otherwise they belong to the next one).
    var takesParts: Bool {
        switch state {
        case .idle: true
        case .passing(let requestEnded, _): !requestEnded
        case .forwarding(let exchange): !exchange.requestEnded
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !waiting.isEmpty || !takesParts {
            waiting.append(part)
            return
        }
        handle(part)
    }

    func handle(_ part: HTTPRequestPart) {
        switch state {
        case .idle:
            guard case .head(let request) = part else {
                pass(part) // out of order: the router refuses it
                return
            }
            guard let exchange = start(request) else {
                state = .passing(requestEnded: false, answered: false)
                pass(part)
                return
            }
            state = .forwarding(exchange)
            admit(exchange)
        case .passing(_, let answered):
            pass(part)
            if part.isEnd {
                state = .passing(requestEnded: true, answered: answered)
                if answered { finish() }
            }
        case .forwarding(let exchange):
            switch part {
            case .head: break // not possible: a head follows an end
            case .body(let buffer):
                guard !exchange.answered, exchange.body != nil else { return } // refused, or a GET's body: dropped
                if exchange.body!.readableBytes + buffer.readableBytes > proxy.configuration.maxBodyBytes {
                    refuse(exchange, Self.tooLarge(proxy.configuration.maxBodyBytes))
                    return
                }
                var buffer = buffer
                exchange.body!.writeBuffer(&buffer)
            case .end:
                exchange.requestEnded = true
                advance(exchange)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        passedSinceReadComplete = false
        context.fireChannelReadComplete()
    }

    func pass(_ part: HTTPRequestPart) {
        passedSinceReadComplete = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientLeft()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .forwarding(let exchange) = state, let connection = exchange.connection {
            // the client reads slower than the service answers: stop reading the service meanwhile,
            // and stop its deadline (the wait is the client's, never counted against the service)
            let writable = context.channel.isWritable
            connection.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
            if writable {
                armDeadline(exchange)
                connection.read()
            } else {
                exchange.timeout?.cancel()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Outbound (the router's answers to passed requests)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let ended = unwrapOutboundIn(data).isEnd
        context.write(data, promise: promise)
        if ended, case .passing(let requestEnded, _) = state {
            state = .passing(requestEnded: requestEnded, answered: true)
            if requestEnded { finish() }
        }
    }

    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty && takesParts {
            context.read()
        } else {
            readHeld = true
        }
    }

    // MARK: - Forwarding

    /// The exchange for a request the edge forwards (or refuses on the route's behalf); nil for the router's.
    func start(_ request: HTTPRequest) -> Exchange? {
        let fullPath = request.path ?? "/"
        let path = fullPath.firstIndex(of: "?").map { String(fullPath[..<$0]) } ?? fullPath
        if SecurityHeadersMiddleware.isPreflight(method: request.method, headers: request.headerFields, corsOrigins: proxy.corsOrigins) { return nil }
        let route: GatewayRoute?
        var refusal: ProblemError?
        switch proxy.configuration.route(method: request.method.rawValue, path: path) {
        case .none: return nil
        case .methodNotAllowed(let allow):
            route = nil
            refusal = Self.methodNotAllowed(allow)
        case .route(let found):
            route = found
        }
        let upstream = route.flatMap { proxy.upstreams[$0.upstream] }
        if route != nil, upstream == nil { return nil }

        let requestID = RequestIDMiddleware.accept(request.headerFields[.requestID]) ?? RequestTrace.newRequestID()
        let trace = RequestTrace(requestID: requestID, continuing: request.headerFields[Self.traceparent])
        let client = ClientAddress.resolve(peer: context.channel.remoteAddress?.ipAddress, forwardedFor: request.headerFields[.xForwardedFor],
                                           trusted: proxy.configuration.common.trustedProxies)
        var (headers, limited) = proxy.limits.take(method: request.method, path: path, client: client)
        SecurityHeadersMiddleware.apply(to: &headers, allowedOrigin: SecurityHeadersMiddleware.allowedOrigin(request.headerFields[.origin], among: proxy.corsOrigins))
        headers[.requestID] = requestID
        let exchange = Exchange(request: request, route: route, upstream: upstream, requestID: requestID, traceparent: trace.traceparent,
                                edgeHeaders: headers)
        if let problem = limited ?? refusal {
            refuse(exchange, problem)
        }
        return exchange
    }

    /// The checks before the body is read: body limit, bearer token.
    func admit(_ exchange: Exchange) {
        guard !exchange.answered else { return }
        let request = exchange.request
        let limit = proxy.configuration.maxBodyBytes
        if let length = request.headerFields[.contentLength].flatMap(Int64.init), length > Int64(limit) {
            refuse(exchange, Self.tooLarge(limit))
            return
        }
        if request.method != .get && request.method != .head { exchange.body = context.channel.allocator.buffer(capacity: 0) }
        if let authorization = request.headerFields[.authorization] {
            guard let token = Request.bearerToken(in: authorization) else {
                refuse(exchange, ProblemError.unauthorized("Use 'Authorization: Bearer <token>'.", code: "invalid_token"))
                return
            }
            if let known = proxy.verifier.verifyWithoutWaiting(token) {
                if case .failure(let error) = known { refuse(exchange, ProblemMiddleware.problem(for: error)) }
                return
            }
            exchange.verifying = true
            let verifier = proxy.verifier
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { try await verifier.verify(token) }.whenComplete { result in
                let handler = loopBound.value
                guard !handler.closed, case .forwarding(let current) = handler.state, current === exchange else { return }
                exchange.verifying = false
                if case .failure(let error) = result {
                    handler.refuse(exchange, ProblemMiddleware.problem(for: error))
                } else {
                    handler.advance(exchange)
                }
            }
        }
    }

    /// Sends the request once it is whole and its token checked; ends a refused exchange once its
    /// request has been read.
    func advance(_ exchange: Exchange) {
        guard exchange.requestEnded else { return }
        if exchange.answered {
            if exchange.connection == nil && !exchange.dispatched { finish() }
            return
        }
        guard !exchange.verifying, !exchange.dispatched, let upstream = exchange.upstream else { return }
        exchange.dispatched = true
        let (allowed, retryAfter) = proxy.breakers.acquire(upstream.name)
        guard allowed else {
            refuse(exchange, ProblemError.unavailable("The \(upstream.name) service is temporarily unavailable.", code: "upstream_unavailable",
                                                      retryAfter: retryAfter))
            return
        }
        armDeadline(exchange)
        connect(exchange, upstream: upstream)
    }

    /// The service's deadline (`PLEXUS_GATEWAY_UPSTREAM_TIMEOUT`), from now: it runs while the
    /// edge waits for the service, and starts again when a slow client has caught up.
    func armDeadline(_ exchange: Exchange) {
        exchange.timeout?.cancel()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        exchange.timeout = context.eventLoop.scheduleTask(in: proxy.configuration.upstreamTimeout.timeAmount) {
            loopBound.value.timedOut(exchange)
        }
    }

    func connect(_ exchange: Exchange, upstream: UpstreamAddress) {
        if let channel = pool.take(upstream) {
            send(exchange, over: channel, reused: true)
            return
        }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        pool.connect(upstream).whenComplete { result in
            let handler = loopBound.value
            switch result {
            case .success(let channel):
                guard case .forwarding(let current) = handler.state, current === exchange, !exchange.answered, !handler.closed else {
                    handler.pool.give(channel, to: upstream)
                    return
                }
                handler.send(exchange, over: channel, reused: false)
            case .failure(let error):
                guard !handler.closed, case .forwarding(let current) = handler.state, current === exchange, !exchange.answered else { return }
                handler.upstreamUnreachable(exchange, error: error)
            }
        }
    }

    func send(_ exchange: Exchange, over channel: any Channel, reused: Bool) {
        guard let upstreamHandler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
            channel.close(promise: nil)
            upstreamUnreachable(exchange, error: ChannelError.ioOnClosedChannel)
            return
        }
        exchange.connection = channel
        exchange.reusedConnection = reused
        upstreamHandler.begin(self)
        let request = exchange.request
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headerFields.count + 5)
        headers.add(name: "host", value: exchange.upstream!.authority)
        for field in request.headerFields where !Self.hopByHop.contains(field.name.canonicalName) {
            headers.add(name: field.name.canonicalName, value: field.value)
        }
        headers.replaceOrAdd(name: "x-request-id", value: exchange.requestID)
        headers.replaceOrAdd(name: "traceparent", value: exchange.traceparent)
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        headers.replaceOrAdd(name: "x-forwarded-for", value: request.headerFields[.xForwardedFor].map { "\($0), \(peer)" } ?? peer)
        if let body = exchange.body { headers.add(name: "content-length", value: String(body.readableBytes)) }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue), uri: request.path ?? "/", headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body = exchange.body, body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    // MARK: - The upstream's answer

    /// The exchange the service's connection answers; nil once the client has left.
    var current: Exchange? {
        if !closed, case .forwarding(let exchange) = state { return exchange }
        return nil
    }

    func upstreamHead(_ head: HTTPResponseHead) {
        guard let exchange = current, !exchange.answered else { return }
        exchange.answered = true
        let upstream = exchange.upstream!
        proxy.breakers.record(upstream.name, success: ![502, 503, 504].contains(Int(head.status.code)))
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count + exchange.edgeHeaders.count + 1)
        for (name, value) in head.headers {
            if let fieldName = HTTPField.Name(name), !Self.answerHopByHop.contains(fieldName.canonicalName) {
                fields.append(HTTPField(name: fieldName, value: value))
            }
        }
        merge(exchange, into: &fields)
        exchange.status = Int(head.status.code)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .init(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase),
                                                         headerFields: fields))), promise: nil)
    }

    func upstreamBody(_ buffer: ByteBuffer) {
        guard current?.answered == true else { return }
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
    }

    func upstreamReadComplete() {
        guard current != nil else { return }
        context.flush()
        if let connection = current?.connection, !context.channel.isWritable {
            connection.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    func upstreamEnd() {
        guard let exchange = current, let connection = exchange.connection else { return }
        exchange.timeout?.cancel()
        exchange.connection = nil
        let keepAlive = (try? connection.pipeline.syncOperations.handler(type: UpstreamHandler.self).keepAlive) ?? false
        if keepAlive {
            connection.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            pool.give(connection, to: exchange.upstream!)
        } else {
            connection.close(promise: nil)
        }
        writeEnd(of: exchange)
        finish()
    }

    /// Ends an answer; closes the connection after it when the client asked so.
    func writeEnd(of exchange: Exchange) {
        guard exchange.request.asksToClose else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        closed = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func upstreamFailed(_ error: any Error) {
        guard let exchange = current, let connection = exchange.connection else { return }
        exchange.connection = nil
        connection.close(promise: nil)
        if exchange.answered {
            // the answer broke off after its head: the client cannot be told otherwise
            proxy.breakers.record(exchange.upstream!.name, success: false)
            exchange.timeout?.cancel()
            context.close(promise: nil)
            return
        }
        // a kept connection the service closed just as it was reused: once more on a new one, when safe
        let safe = [.get, .head, .options, .put, .delete].contains(exchange.request.method)
        if exchange.reusedConnection, safe, !exchange.retried {
            exchange.retried = true
            connect(exchange, upstream: exchange.upstream!)
            return
        }
        upstreamUnreachable(exchange, error: error)
    }

    func upstreamUnreachable(_ exchange: Exchange, error: any Error) {
        let upstream = exchange.upstream!
        proxy.breakers.record(upstream.name, success: false)
        var logger = proxy.logger
        logger[metadataKey: "requestId"] = .string(exchange.requestID)
        logger.warning("upstream failed", metadata: ["upstream": .string(upstream.name), "error": .string(String(describing: error))])
        refuse(exchange, ProblemError.unavailable("The \(upstream.name) service did not answer.", code: "upstream_unavailable", retryAfter: 5))
    }

    func timedOut(_ exchange: Exchange) {
        guard let current, current === exchange else { return }
        if let connection = exchange.connection {
            exchange.connection = nil
            (try? connection.pipeline.syncOperations.handler(type: UpstreamHandler.self))?.abandon()
            connection.close(promise: nil)
        }
        if exchange.answered {
            proxy.breakers.record(exchange.upstream!.name, success: false)
            context.close(promise: nil)
        } else {
            upstreamUnreachable(exchange, error: ChannelError.connectTimeout(proxy.configuration.upstreamTimeout.timeAmount))
        }
    }

    /// The client left while its request was forwarded: the service's connection cannot be reused,
    /// and a call without an outcome gives its breaker probe back (a client hanging up must not
    /// leave the service's breaker waiting for a verdict, refusing everybody).
    func dropConnection(of exchange: Exchange) {
        exchange.timeout?.cancel()
        if exchange.dispatched, !exchange.answered, let upstream = exchange.upstream { proxy.breakers.release(upstream.name) }
        if let connection = exchange.connection {
            exchange.connection = nil
            (try? connection.pipeline.syncOperations.handler(type: UpstreamHandler.self))?.abandon()
            connection.close(promise: nil)
        }
    }

    // MARK: - Answers

    /// The edge's headers on an answer: the service's own security policy is kept, the rest set.
    func merge(_ exchange: Exchange, into fields: inout HTTPFields) {
        let contentSecurityPolicy = fields[.contentSecurityPolicy]
        for field in exchange.edgeHeaders {
            if field.name == .contentSecurityPolicy, contentSecurityPolicy != nil { continue }
            fields[field.name] = field.value
        }
        // a credentialed request's answer is no shared cache's business (as PersonalResponseMiddleware)
        if exchange.request.headerFields[.authorization] != nil, fields[.cacheControl] == nil { fields[.cacheControl] = "no-store" }
    }

    /// Answers a problem now; the rest of the request is read and dropped (a client still sending
    /// an oversized body reads the 413 when it is done, as with the router).
    func refuse(_ exchange: Exchange, _ problem: ProblemError) {
        guard !exchange.answered else { return }
        exchange.answered = true
        exchange.timeout?.cancel()
        exchange.body = nil
        let (problemHeaders, body) = ProblemMiddleware.encoded(problem, requestID: exchange.requestID)
        var fields = problemHeaders
        fields[.contentLength] = String(body.count)
        merge(exchange, into: &fields)
        exchange.status = problem.status.code
        context.write(wrapOutboundOut(.head(HTTPResponse(status: problem.status, headerFields: fields))), promise: nil)
        if exchange.request.method != .head {
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        }
        writeEnd(of: exchange)
        if exchange.requestEnded { finish() }
    }

    static func tooLarge(_ limit: Int) -> ProblemError {
        ProblemError(.contentTooLarge, code: "payload_too_large", detail: "The request body exceeds \(limit) bytes.")
    }

    static func methodNotAllowed(_ allow: [String]) -> ProblemError {
        var headers = HTTPFields()
        headers[.allow] = allow.joined(separator: ", ")
        return ProblemError(.methodNotAllowed, code: "method_not_allowed", detail: "Use \(allow.joined(separator: " or ")) here.", headers: headers)
    }

    func record(_ exchange: Exchange) {
        proxy.metrics.answered(exchange.request, route: exchange.route?.path ?? "NotFound", status: exchange.status, requestID: exchange.requestID,
                               start: exchange.start, logger: proxy.logger)
    }

    /// The current request is answered: the next one waiting is taken up.
    func finish() {
        if case .forwarding(let exchange) = state { record(exchange) }
        state = .idle
        guard !closed else { return }
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !waiting.isEmpty && takesParts {
            handle(waiting.removeFirst())
        }
        if passedSinceReadComplete {
            passedSinceReadComplete = false
            context.fireChannelReadComplete()
        }
        if readHeld, waiting.isEmpty, takesParts {
            readHeld = false
            context.read()
        }
    }
}

extension HTTPRequestPart {
    var isEnd: Bool {
        if case .end = self { return true }
        return false
    }
}

extension HTTPResponsePart {
    var isEnd: Bool {
        if case .end = self { return true }
        return false
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000)
    }
}
