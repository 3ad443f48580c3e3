import AsyncHTTPClient
import Foundation
import GatewayService
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import JWTKit
import NIOConcurrencyHelpers
import NIOCore
import PlexusKit
import PlexusKitTesting
import Testing

/// An upstream standing in for identity: echoes what the gateway forwarded and counts calls.
func makeUpstream(calls: NIOLockedValueBox<Int>) -> Router<PlexusContext> {
    let router = Router(context: PlexusContext.self)
    router.get("/api/v1/users/me") { request, _ in
        calls.withLockedValue { $0 += 1 }
        return try Response.json([
            "requestId": request.headers[.requestID] ?? "", "forwardedFor": request.headers[.xForwardedFor] ?? "",
            "authorization": request.headers[.authorization] ?? "",
        ])
    }
    router.post("/api/v1/auth/login") { request, _ in
        calls.withLockedValue { $0 += 1 }
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        return try Response.json(["received": body.readableBytes])
    }
    router.get("/health/ready") { _, _ in try Response.json(["status": "ok"]) }
    return router
}

func gatewayConfiguration(identityURL: String, authBurst: Double = 10, maxBody: Int = 1 << 20) -> GatewayConfiguration {
    var urls: [ServiceName: String] = [:]
    urls[.identity] = identityURL
    urls[.notification] = "http://127.0.0.1:1"
    let routes = [GatewayRoute("POST", "/api/v1/auth/login", .identity, strictLimit: true), GatewayRoute("GET", "/api/v1/users/me", .identity),
                  GatewayRoute("GET", "/api/v1/notifications", .notification)]
    return GatewayConfiguration(common: .test(.gateway, database: nil, serviceURLs: urls), routes: routes, authRateLimit: RateLimit(perSecond: 0.01, burst: authBurst), maxBodyBytes: maxBody,
                                upstreamTimeout: .seconds(5), corsOrigins: ["https://shop.example"])
}

func withGateway<T: Sendable>(_ configuration: GatewayConfiguration, ring: SigningKeyRing, _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
    let verifier = JWKSVerifier(logger: testLogger()) { ring.jwks }
    // live: forwarding happens in the server's channel (the edge), not in the router
    let (router, server) = try GatewayService.buildGateway(configuration: configuration, http: .plexus, verifier: verifier, logger: testLogger())
    return try await Application(router: router.router, server: server).test(.live) { try await body($0) }
}

func accessToken(_ ring: SigningKeyRing) async throws -> String {
    let claims = AccessClaims(userID: .v7(), roles: [.customer], emailVerified: true, tokenVersion: 0, sessionID: nil, issuedAt: Date(), lifetime: 300)
    return try await ring.signingCollection().sign(claims, kid: JWKIdentifier(string: ring.currentKeyID))
}

@Suite struct GatewayTests {
    let ring = try! SigningKeyRing(encoded: SigningKeyRing.generateEncoded())

    @Test func routesToTheUpstreamWithRequestIdAndSecurityHeaders() async throws {
        let calls = NIOLockedValueBox(0)
        let ring = self.ring
        try await withLiveServer(makeUpstream(calls: calls)) { port in
            try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:\(port)"), ring: ring) { http in
                let token = try await accessToken(ring)
                let response = try await http.execute(uri: "/api/v1/users/me", method: .get,
                                                      headers: [.authorization: "Bearer \(token)", .requestID: "trace-123"]) { $0 }
                #expect(response.status == .ok)
                let echoed = try response.decode([String: String].self)
                #expect(echoed["requestId"] == "trace-123")
                #expect(echoed["authorization"] == "Bearer \(token)")
                #expect(response.headers[.requestID] == "trace-123")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[HTTPField.Name("RateLimit-Limit")!] != nil)
            }
        }
        #expect(calls.withLockedValue { $0 } == 1)
    }

    @Test func badTokensNeverReachTheUpstream() async throws {
        let calls = NIOLockedValueBox(0)
        let ring = self.ring
        let stranger = try SigningKeyRing(encoded: SigningKeyRing.generateEncoded())
        try await withLiveServer(makeUpstream(calls: calls)) { port in
            try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:\(port)"), ring: ring) { http in
                for header in ["Bearer nonsense", "Basic abc", "Bearer \(try await accessToken(stranger))"] {
                    let response = try await http.execute(uri: "/api/v1/users/me", method: .get, headers: [.authorization: header]) { $0 }
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
        }
        #expect(calls.withLockedValue { $0 } == 0)
    }

    @Test func internalAndUnknownPathsAre404Problems() async throws {
        try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:1"), ring: ring) { http in
            for path in ["/internal/events", "/nowhere", "/api/v1/authx"] {
                let response = try await http.execute(uri: path, method: .post, body: .raw("{}")) { $0 }
                #expect(response.status == .notFound)
                #expect(try response.problem().code == "not_found")
            }
        }
    }

    @Test func aDeclaredPathWithAnotherMethodIs405WithAllow() async throws {
        try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:1"), ring: ring) { http in
            for method in [HTTPRequest.Method.delete, .init("TRACE")!] {
                let response = try await http.execute(uri: "/api/v1/users/me", method: method) { $0 }
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                #expect(try response.problem().code == "method_not_allowed")
            }
        }
    }

    @Test func aDownUpstreamIsAFast503() async throws {
        let closedPort = try EmbeddedPostgres.freePort()
        try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:\(closedPort)"), ring: ring) { http in
            let start = ContinuousClock.now
            for _ in 0..<8 {
                let response = try await http.execute(uri: "/api/v1/auth/login", method: .post, headers: TestHeaders.json(), body: .raw("{}")) { $0 }
                #expect(response.status == .serviceUnavailable)
                #expect(try response.problem().code == "upstream_unavailable")
                #expect(response.headers[.retryAfter] != nil)
            }
            // not a speed measurement: eight calls must not wait out the 30 s upstream timeout each
            // (a loose bound, since a busy CI machine is slow)
            #expect(ContinuousClock.now - start < .seconds(20))
            let health = try await http.execute(uri: "/health/ready", method: .get) { $0 }
            #expect(health.status == .serviceUnavailable)
            #expect(try health.decode(HealthReport.self).checks["identity"] == "unreachable")
        }
    }

    @Test func authenticationPathsAreRateLimited() async throws {
        let calls = NIOLockedValueBox(0)
        let ring = self.ring
        try await withLiveServer(makeUpstream(calls: calls)) { port in
            try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:\(port)", authBurst: 3), ring: ring) { http in
                var statuses: [Int] = []
                var last: TestResponse?
                for _ in 0..<5 {
                    last = try await http.execute(uri: "/api/v1/auth/login", method: .post, headers: TestHeaders.json(), body: .raw("{}")) { $0 }
                    statuses.append(last?.status.code ?? 0)
                }
                #expect(statuses == [200, 200, 200, 429, 429])
                #expect(Int(last?.headers[.retryAfter] ?? "") ?? 0 >= 1)
                #expect(last?.headers[HTTPField.Name("RateLimit-Remaining")!] == "0")
            }
        }
        #expect(calls.withLockedValue { $0 } == 3)
    }

    @Test func oversizedBodiesAre413() async throws {
        let calls = NIOLockedValueBox(0)
        let ring = self.ring
        try await withLiveServer(makeUpstream(calls: calls)) { port in
            try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:\(port)", maxBody: 100), ring: ring) { http in
                let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: 1000)
                let response = try await http.execute(uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json", .contentLength: "1000"], body: big) { $0 }
                #expect(response.status == .contentTooLarge)
                let small = try await http.execute(uri: "/api/v1/auth/login", method: .post, headers: TestHeaders.json(), body: .raw("{}")) { $0 }
                #expect(try small.decode([String: Int].self)["received"] == 2, "bodies reach the upstream whole")
            }
        }
    }

    @Test func corsPreflightForAConfiguredOrigin() async throws {
        try await withGateway(gatewayConfiguration(identityURL: "http://127.0.0.1:1"), ring: ring) { http in
            let allowed = try await http.execute(uri: "/api/v1/users/me", method: .options,
                                                 headers: [.origin: "https://shop.example", .accessControlRequestMethod: "GET"]) { $0 }
            #expect(allowed.status == .noContent)
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://shop.example")
            let other = try await http.execute(uri: "/health/live", method: .get, headers: [.origin: "https://evil.example"]) { $0 }
            #expect(other.headers[.accessControlAllowOrigin] == nil)
        }
    }
}

@Suite struct GatewayRouteTableTests {
    @Test func matchesTemplatesMethodsAndLiteralsFirst() {
        // setup
        let table = GatewayRouteTable([
            GatewayRoute("GET", "/api/v1/shops/me", .shop), GatewayRoute("GET", "/api/v1/shops/{idOrSlug}", .shop),
            GatewayRoute("PATCH", "/api/v1/shops/me", .shop), GatewayRoute("GET", "/dev/mailbox", .notification, developmentOnly: true),
        ], development: false)
        // expect
        #expect(table.match(method: "GET", path: "/api/v1/shops/me") == .route(GatewayRoute("GET", "/api/v1/shops/me", .shop)))
        #expect(table.match(method: "GET", path: "/api/v1/shops/lumen-books") == .route(GatewayRoute("GET", "/api/v1/shops/{idOrSlug}", .shop)))
        #expect(table.match(method: "HEAD", path: "/api/v1/shops/x") == .route(GatewayRoute("GET", "/api/v1/shops/{idOrSlug}", .shop)))
        #expect(table.match(method: "DELETE", path: "/api/v1/shops/me") == .methodNotAllowed(allow: ["GET", "PATCH"]))
        #expect(table.match(method: "GET", path: "/api/v1/shops/") == .none, "an empty segment is not a parameter")
        #expect(table.match(method: "GET", path: "/api/v1/shops/a/b") == .none)
        #expect(table.match(method: "GET", path: "/dev/mailbox") == .none, "development-only routes are not routed in production")
    }
}
