import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Everything the host hands a service's `build`: its database, the process's outbound client,
/// its service tokens, the access-token verifier, its outbox (subscribers derived from the
/// topology) and where the other services are.
public struct ServiceEnvironment: Sendable {
    /// The service being built.
    public let service: ServiceName
    /// Its database pool (nil for the gateway); the host runs it.
    public let database: Database?
    /// The process's outbound client (deadlines, retries, breakers).
    public let http: ServiceClient
    /// Service tokens signed with this service's key (nil for the gateway).
    public let serviceTokens: ServiceTokens?
    /// Verifies users' access tokens (identity's JWKS).
    public let verifier: any AccessTokenVerifier
    /// Its outbox, delivering to the subscribers the topology lists.
    public let outbox: Outbox
    /// Base URLs of the other services.
    public let serviceURLs: [ServiceName: String]
    /// The whole system's declarations (the gateway routes from it).
    public let topology: Topology
    /// Polls identity's revocation feed into the list `verifier` consults (nil in identity, which
    /// checks its own database, and where no service key is configured).
    public let revocationFeed: RevocationFeed?
    /// The service's logger.
    public let logger: Logger

    /// Creates an environment.
    public init(service: ServiceName, database: Database?, http: ServiceClient, serviceTokens: ServiceTokens?, verifier: any AccessTokenVerifier,
                outbox: Outbox, serviceURLs: [ServiceName: String], topology: Topology, revocationFeed: RevocationFeed? = nil, logger: Logger) {
        self.service = service
        self.database = database
        self.http = http
        self.serviceTokens = serviceTokens
        self.verifier = verifier
        self.outbox = outbox
        self.serviceURLs = serviceURLs
        self.topology = topology
        self.revocationFeed = revocationFeed
        self.logger = logger
    }

    /// The database; every service but the gateway has one.
    public var db: Database {
        guard let database else { preconditionFailure("\(service) has no database") }
        return database
    }

    /// The service tokens; every service but the gateway has them.
    public var tokens: ServiceTokens {
        guard let serviceTokens else { preconditionFailure("\(service) has no service key") }
        return serviceTokens
    }

    /// The base URL of `other`.
    public func url(of other: ServiceName) -> String {
        serviceURLs[other] ?? "http://127.0.0.1:\(other.defaultPort)"
    }

    /// A connection to `callee`'s routes for typed clients: base URL, outbound client and tokens
    /// for that audience.
    public func connection(to callee: ServiceName) -> ServiceConnection {
        ServiceConnection(callee: callee, baseURL: url(of: callee), http: http, tokens: serviceTokens)
    }

    /// The standard router: request ids and traces, problem+json, metrics, access-token
    /// verification (with `verifier`, by default identity's JWKS), and the operational endpoints
    /// with database-and-migrations readiness.
    public func makeRouter(migrations: [MigrationSet], verifier: (any AccessTokenVerifier)? = nil) -> EndpointRouter {
        let ready: ReadinessCheck
        if let database {
            ready = ServiceRuntime.databaseReadiness(database, migrations: migrations, logger: logger)
        } else {
            ready = { [:] }
        }
        let router = EndpointRouter(ServiceRuntime.makeRouter(verifier: verifier ?? self.verifier), tokens: serviceTokens)
        OperationsRoutes.add(to: router, ready: ready)
        return router
    }
}

/// How a typed client reaches one callee: its base URL, the process's outbound client, and a
/// service token for that audience.
public struct ServiceConnection: EndpointTransport {
    /// The service called.
    public let callee: ServiceName
    /// Its base URL.
    public let baseURL: String
    /// The outbound client.
    public let http: ServiceClient
    /// The caller's tokens (nil: only public routes can be called).
    public let tokens: ServiceTokens?
    /// Calls made by a periodic poll, not by a request (``ServiceClient/send(upstream:method:url:headers:body:idempotent:deadline:requestID:maxBody:background:logger:)``).
    public let background: Bool

    /// Creates a connection.
    public init(callee: ServiceName, baseURL: String, http: ServiceClient, tokens: ServiceTokens?, background: Bool = false) {
        self.callee = callee
        self.baseURL = baseURL
        self.http = http
        self.tokens = tokens
        self.background = background
    }

    /// An `Authorization` value for an internal route of the callee.
    public func authorization() throws -> String {
        guard let tokens else { throw ProblemError.unavailable("No service key is configured for calling \(callee).") }
        return "Bearer " + (try tokens.token(for: callee))
    }

    /// Sends one call through the process's client (deadline, safe retries, breaker), with a
    /// service token when the endpoint is internal.
    public func send(_ method: HTTPVerb, path: String, query: String?, body: Data?, internal: Bool, deadline: Duration,
                     logger: Logger) async throws -> (status: Int, body: Data) {
        var headers = HTTPHeaders()
        if `internal` { headers.add(name: "Authorization", value: try authorization()) }
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        let response = try await http.send(upstream: callee.rawValue, method: NIOHTTP1.HTTPMethod(rawValue: method.rawValue),
                                           url: baseURL + path + (query.map { "?" + $0 } ?? ""), headers: headers,
                                           body: body.map { ByteBuffer(bytes: $0) }, deadline: deadline, background: background, logger: logger)
        return (Int(response.status.code), Data(buffer: response.body))
    }
}
