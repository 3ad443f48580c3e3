import AsyncHTTPClient
import Foundation
@testable import GatewayService
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import PlexusKit
import PlexusKitTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct GatewayHardeningTests {
    let ring = try! SigningKeyRing(encoded: SigningKeyRing.generateEncoded())

    struct NotConnected: Error {}

    /// A TCP connection to 127.0.0.1:`port` that has sent `text` (the caller closes it), with a
    /// receive buffer of `receiveBuffer` bytes when given.
    static func connection(port: Int, sending text: String, receiveBuffer: Int32? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else {
            if fd >= 0 { close(fd) }
            throw NotConnected()
        }
        _ = text.withCString { send(fd, $0, strlen($0), 0) }
        return fd
    }

    /// Opens a TCP connection, sends `text`, and hangs up.
    static func sendAndHangUp(port: Int, _ text: String) throws {
        close(try connection(port: port, sending: text))
    }

    @Test func clientsThatHangUpMidBodyDoNotOpenTheUpstreamsBreaker() async throws {
        // setup: a live gateway in front of a live upstream
        let calls = NIOLockedValueBox(0)
        try await withLiveServer(makeUpstream(calls: calls)) { upstream in
            let configuration = gatewayConfiguration(identityURL: "http://127.0.0.1:\(upstream)", authBurst: 100)
            let (router, server) = try GatewayService.buildGateway(configuration: configuration, http: .plexus,
                                                                   verifier: JWKSVerifier(logger: testLogger()) { ring.jwks }, logger: testLogger())
            try await withLiveServer(router.router, server: server) { gateway in
                // act: ten clients promise 9999 bytes, send one and vanish
                for _ in 0..<10 {
                    try Self.sendAndHangUp(port: gateway, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9999\r\n\r\n{")
                }
                try await Task.sleep(for: .milliseconds(300))
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(gateway)/api/v1/auth/login")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: "{}"))
                let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(10))
                // expect: the honest client is served
                #expect(response.status == .ok)
                #expect(calls.withLockedValue { $0 } == 1, "no abandoned body reached the upstream")
            }
        }
    }

    @Test func theGatewaysOwnRefusalsCarryTheSecurityHeaders() async throws {
        try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:1"), ring: ring) { http in
            for (uri, method) in [("/nowhere", HTTPRequest.Method.get), ("/api/v1/users/me", .delete), ("/api/v1/users/me", .get)] {
                let response = try await http.execute(uri: uri, method: method, headers: [.origin: "https://shop.example", .authorization: "Bearer x.y.z"]) { $0 }
                #expect(response.status.code >= 400)
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(method) \(uri)")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[.accessControlAllowOrigin] == "https://shop.example")
            }
        }
    }
}

@Suite struct RateLimiterCapacityTests {
    @Test func theOldestClientIsForgottenFirstAndTheMemoryIsBounded() {
        // setup: room for three clients, one request each per (long) second
        let limiter = RateLimiter(limit: RateLimit(perSecond: 0.0001, burst: 1), capacity: 3)
        let now = ContinuousClock.now
        for client in ["a", "b", "c"] { #expect(limiter.take(client, now: now).allowed) }
        #expect(!limiter.take("a", now: now).allowed)
        // act: many new clients pass through
        for index in 0..<10_000 { _ = limiter.take("x\(index)", now: now) }
        // expect: at most three remembered, the newest ones; "a" is a new client again
        #expect(limiter.state.withLockedValue { $0.buckets.count } == 3)
        #expect(limiter.state.withLockedValue { $0.order.count - $0.head } <= 6)
        #expect(!limiter.take("x9999", now: now).allowed)
        #expect(limiter.take("a", now: now).allowed)
    }
}
