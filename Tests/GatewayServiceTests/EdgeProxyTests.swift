import AsyncHTTPClient
import Foundation
@testable import GatewayService
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import PlexusKit
import PlexusKitTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The edge (forwarding in the server's channel, on the connection's event loop) against a live
/// upstream: order of pipelined answers, large and HEAD answers, and an upstream that does not answer.
@Suite struct EdgeProxyTests {
    static let blobSize = 3 << 20
    /// More than the kernel buffers a socket's sends (4 MiB here), so a client that stops reading stalls the relay.
    static let bigSize = 24 << 20

    static func upstream() -> Router<PlexusContext> {
        let router = Router(context: PlexusContext.self, options: .autoGenerateHeadEndpoints)
        router.get("/api/v1/echo/{n}") { request, context in
            try Response.json(["n": context.parameters.get("n") ?? "", "requestId": request.headers[.requestID] ?? ""])
        }
        router.get("/api/v1/blob") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                     body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "b"), count: blobSize)))
        }
        router.get("/api/v1/big") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                     body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "g"), count: bigSize)))
        }
        router.get("/api/v1/unavailable") { _, _ in Response(status: .serviceUnavailable) }
        router.get("/api/v1/slow") { _, _ in
            try await Task.sleep(for: .seconds(3))
            return try Response.json(["late": true])
        }
        return router
    }

    static func configuration(upstream port: Int) -> GatewayConfiguration {
        var urls: [ServiceName: String] = [:]
        urls[.catalog] = "http://127.0.0.1:\(port)"
        let routes = [GatewayRoute("GET", "/api/v1/echo/{n}", .catalog), GatewayRoute("GET", "/api/v1/blob", .catalog),
                      GatewayRoute("GET", "/api/v1/slow", .catalog), GatewayRoute("GET", "/api/v1/unavailable", .catalog),
                      GatewayRoute("GET", "/api/v1/big", .catalog)]
        return GatewayConfiguration(common: .test(.gateway, database: nil, serviceURLs: urls), routes: routes, upstreamTimeout: .seconds(1))
    }

    static func withEdge<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        try await withLiveServer(upstream()) { upstream in
            let ring = try SigningKeyRing(encoded: SigningKeyRing.generateEncoded())
            let (router, server) = try GatewayService.buildGateway(configuration: configuration(upstream: upstream), http: .plexus,
                                                                   verifier: JWKSVerifier(logger: testLogger()) { ring.jwks }, logger: testLogger())
            return try await withLiveServer(router.router, server: server) { try await body($0) }
        }
    }

    struct RawFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// ``pipelined(port:_:answers:)`` on a thread of its own: its blocking reads must not hold one of
    /// the few threads the servers' tasks (in this process) run on.
    static func exchange(port: Int, _ text: String, answers count: Int) async throws -> (answers: [(status: Int, body: String)], closedAfter: Bool) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try pipelined(port: port, text, answers: count) }) }
        }
    }

    /// Writes `text` on one connection and reads `count` answers (each with a `Content-Length`), then
    /// whether the server closed the connection after them (within a second).
    static func pipelined(port: Int, _ text: String, answers count: Int) throws -> (answers: [(status: Int, body: String)], closedAfter: Bool) {
        let fd = try GatewayHardeningTests.connection(port: port, sending: text)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var answers: [(Int, String)] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while answers.count < count {
            // parse what is complete
            if let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                let status = Int(lines[0].split(separator: " ")[1]) ?? 0
                let length = lines.dropFirst().compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    return parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }.first
                guard let length_ = length else { throw RawFailure(description: "every answer here has a Content-Length: \(head)") }
                if received.count >= end.upperBound + length_ {
                    answers.append((status, String(decoding: received[end.upperBound..<(end.upperBound + length_)], as: UTF8.self)))
                    received.removeFirst(end.upperBound + length_)
                    continue
                }
            }
            let read = recv(fd, &chunk, chunk.count, 0)
            guard read > 0 else { throw RawFailure(description: "the connection ended after \(answers.count) answers") }
            received += chunk[..<read]
        }
        var quick = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quick, socklen_t(MemoryLayout<timeval>.size))
        return (answers, received.isEmpty && recv(fd, &chunk, chunk.count, 0) == 0)
    }

    @Test func pipelinedRequestsAreAnsweredInOrderAcrossForwardedAndOwnRoutes() async throws {
        try await Self.withEdge { gateway in
            // act: forwarded, the gateway's own, forwarded, unknown, forwarded, in one write
            let request = { (path: String) in "GET \(path) HTTP/1.1\r\nHost: x\r\nX-Request-ID: r-\(path.split(separator: "/").last ?? "")\r\n\r\n" }
            let text = request("/api/v1/echo/1") + request("/health/live") + request("/api/v1/echo/2") + request("/nowhere") + request("/api/v1/echo/3")
            let (answers, _) = try await Self.exchange(port: gateway, text, answers: 5)
            // expect: the answers in the order asked, each forwarded one with its own request id
            #expect(answers.map(\.status) == [200, 200, 200, 404, 200])
            #expect(answers[0].body.contains("\"n\":\"1\"") && answers[0].body.contains("r-1"))
            #expect(answers[1].body.contains("ok"))
            #expect(answers[2].body.contains("\"n\":\"2\"") && answers[2].body.contains("r-2"))
            #expect(answers[3].body.contains("not_found"))
            #expect(answers[4].body.contains("\"n\":\"3\""))
        }
    }

    @Test func aClientAskingToCloseIsAnsweredAndTheConnectionClosed() async throws {
        try await Self.withEdge { gateway in
            let (answers, closed) = try await Self.exchange(port: gateway, "GET /api/v1/echo/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", answers: 1)
            #expect(answers.map(\.status) == [200])
            #expect(closed, "the connection is closed after the answer")
        }
    }

    @Test func clientsLeavingWhileTheirRequestIsForwardedLeaveTheGatewayServing() async throws {
        try await Self.withEdge { gateway in
            // act: clients ask for the slow answer and hang up at once; the edge's deadline (1 s)
            // and the service's late answers come after they left
            for _ in 0..<4 {
                try GatewayHardeningTests.sendAndHangUp(port: gateway, "GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            try await Task.sleep(for: .milliseconds(1500))
            // expect: the gateway is alive and serves the next client
            let next = try await HTTPClient.plexus.execute(HTTPClientRequest(url: "http://127.0.0.1:\(gateway)/api/v1/echo/5"), timeout: .seconds(10))
            #expect(next.status == .ok)
        }
    }

    @Test func aClientLeavingDuringTheBreakersProbeDoesNotLeaveTheServiceRefused() async throws {
        try await Self.withEdge { gateway in
            let get = { @Sendable (path: String) in
                try await HTTPClient.plexus.execute(HTTPClientRequest(url: "http://127.0.0.1:\(gateway)" + path), timeout: .seconds(10)).status
            }
            // setup: five 503s open the service's breaker (5 s); when it lets a probe through, the
            // probe's client asks for the slow answer and hangs up at once
            for _ in 0..<5 { _ = try await get("/api/v1/unavailable") }
            #expect(try await get("/api/v1/echo/1") == .serviceUnavailable, "the breaker is open")
            try await Task.sleep(for: .milliseconds(5200))
            try GatewayHardeningTests.sendAndHangUp(port: gateway, "GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .seconds(1)) // the hung-up request goes first and takes the probe
            // expect: once the gateway has seen the client leave, the next request is the probe,
            // answered by the service (without the probe given back, the breaker refuses forever)
            #expect(try await eventually(timeout: .seconds(10)) { try await get("/api/v1/echo/2") == .ok })
        }
    }

    /// Reads the 24 MB answer over a small receive buffer, pausing `pause` after the first bytes.
    static func slowRead(port: Int, pause: Duration) throws -> Int {
        let fd = try GatewayHardeningTests.connection(port: port, sending: "GET /api/v1/big HTTP/1.1\r\nHost: x\r\n\r\n", receiveBuffer: 16 << 10)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var chunk = [UInt8](repeating: 0, count: 4096)
        var total = recv(fd, &chunk, chunk.count, 0)
        Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18)
        while true {
            let read = recv(fd, &chunk, chunk.count, 0)
            guard read > 0 else { break }
            total += read
            if total >= bigSize { break }
        }
        return total
    }

    @Test func aClientReadingSlowerThanTheDeadlineGetsTheWholeAnswerAndTheServiceStaysTrusted() async throws {
        try await Self.withEdge { gateway in
            // act: five clients with small receive buffers stop reading for longer than the service's
            // deadline (1 s) while 24 MB answers are relayed: as many as open its breaker if counted
            let received = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await withCheckedThrowingContinuation { continuation in
                            Thread.detachNewThread { continuation.resume(with: Result { try Self.slowRead(port: gateway, pause: .milliseconds(2500)) }) }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // expect: every whole answer arrived (the wait was the clients'), and the service is still served
            #expect(received.count == 5 && received.allSatisfy { $0 >= Self.bigSize })
            let next = try await HTTPClient.plexus.execute(HTTPClientRequest(url: "http://127.0.0.1:\(gateway)/api/v1/echo/3"), timeout: .seconds(10))
            #expect(next.status == .ok)
        }
    }

    @Test func largeAnswersArriveWholeAndHeadAnswersHaveNoBody() async throws {
        try await Self.withEdge { gateway in
            for _ in 0..<3 { // over a kept connection, again
                let response = try await HTTPClient.plexus.execute(HTTPClientRequest(url: "http://127.0.0.1:\(gateway)/api/v1/blob"), timeout: .seconds(20))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
                let body = try await response.body.collect(upTo: Self.blobSize + 1)
                #expect(body.readableBytes == Self.blobSize)
            }
            var head = HTTPClientRequest(url: "http://127.0.0.1:\(gateway)/api/v1/blob")
            head.method = .HEAD
            let response = try await HTTPClient.plexus.execute(head, timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Length") == String(Self.blobSize))
            #expect(try await response.body.collect(upTo: 1).readableBytes == 0)
        }
    }

    @Test func anUpstreamThatDoesNotAnswerInTimeIsA503AndTheNextRequestIsServed() async throws {
        try await Self.withEdge { gateway in
            let slow = try await HTTPClient.plexus.execute(HTTPClientRequest(url: "http://127.0.0.1:\(gateway)/api/v1/slow"), timeout: .seconds(20))
            #expect(slow.status == .serviceUnavailable)
            let problem = try JSONDecoder().decode(Problem.self, from: Data(buffer: try await slow.body.collect(upTo: 1 << 16)))
            #expect(problem.code == "upstream_unavailable")
            let next = try await HTTPClient.plexus.execute(HTTPClientRequest(url: "http://127.0.0.1:\(gateway)/api/v1/echo/9"), timeout: .seconds(10))
            #expect(next.status == .ok)
        }
    }
}
