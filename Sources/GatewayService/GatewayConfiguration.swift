import Foundation
import PlexusKit

/// One public operation the gateway forwards: a method, a path template (`{name}` matches one
/// segment) and the service that serves it.
public struct GatewayRoute: Sendable, Equatable {
    /// The method.
    public var method: String
    /// The path template.
    public var path: String
    /// The upstream service.
    public var upstream: ServiceName
    /// Only routed in development mode (the dev mailbox).
    public var developmentOnly: Bool
    /// Subject to the stricter authentication rate limit.
    public var strictLimit: Bool

    /// Creates a route.
    public init(_ method: String, _ path: String, _ upstream: ServiceName, developmentOnly: Bool = false, strictLimit: Bool = false) {
        self.method = method
        self.path = path
        self.upstream = upstream
        self.developmentOnly = developmentOnly
        self.strictLimit = strictLimit
    }

    /// The public endpoints the services declare.
    public static func routes(of topology: Topology) -> [GatewayRoute] {
        topology.publicEndpoints.filter { $0.service != .gateway }.map { endpoint, service in
            GatewayRoute(endpoint.method.rawValue, endpoint.path, service, developmentOnly: endpoint.developmentOnly, strictLimit: endpoint.strictLimit)
        }
    }
}

/// The gateway's table: path templates in a trie of segments, each leaf holding its methods.
public struct GatewayRouteTable: Sendable {
    final class Node: @unchecked Sendable {
        // Safe: built once in `init` and only read afterwards.
        var literals: [Substring: Node] = [:]
        var parameter: Node?
        var methods: [String: GatewayRoute] = [:]
    }

    /// What a path and method found.
    public enum Match: Sendable, Equatable {
        /// Forward to this route.
        case route(GatewayRoute)
        /// The path exists with other methods.
        case methodNotAllowed(allow: [String])
        /// No such path.
        case none
    }

    let root = Node()

    /// Builds the table from `routes` (development-only ones only when `development`).
    public init(_ routes: [GatewayRoute], development: Bool) {
        for route in routes where development || !route.developmentOnly {
            var node = root
            for segment in route.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
                if segment.hasPrefix("{"), segment.hasSuffix("}") {
                    if node.parameter == nil { node.parameter = Node() }
                    node = node.parameter!
                } else {
                    if node.literals[segment] == nil { node.literals[segment] = Node() }
                    node = node.literals[segment]!
                }
            }
            node.methods[route.method] = route
        }
    }

    /// The route for `method` on `path` (`HEAD` is served as `GET`). Literal segments win over parameters.
    public func match(method: String, path: String) -> Match {
        guard path.hasPrefix("/") else { return .none }
        var node = root
        for segment in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            let key = Substring(segment)
            if let next = node.literals[key] {
                node = next
            } else if let next = node.parameter, !key.isEmpty {
                node = next
            } else {
                return .none
            }
        }
        guard !node.methods.isEmpty else { return .none }
        if let route = node.methods[method == "HEAD" ? "GET" : method] { return .route(route) }
        return .methodNotAllowed(allow: node.methods.keys.sorted())
    }
}

/// The gateway's configuration.
///
/// `PLEXUS_GATEWAY_RATE_LIMIT` (requests per second per client, 50) and `…_BURST` (100);
/// `PLEXUS_GATEWAY_AUTH_RATE_LIMIT` (per second on `/api/v1/auth/*`, 2) and `…_BURST` (10);
/// `PLEXUS_GATEWAY_MAX_BODY_BYTES` (10 MiB); `PLEXUS_GATEWAY_UPSTREAM_TIMEOUT` (seconds, 30);
/// `PLEXUS_CORS_ORIGINS` (comma-separated origins, or `*`; none by default);
/// `PLEXUS_TRUSTED_PROXIES` (load balancers in front whose `X-Forwarded-For` is believed; none).
public struct GatewayConfiguration: ServiceConfiguration {
    /// Common settings.
    public var common: CommonConfiguration
    /// Routes (from the topology when empty).
    public var routes: [GatewayRoute] {
        didSet { table = GatewayRouteTable(routes, development: common.mode.isDevelopment) }
    }
    /// The routes as a table.
    public private(set) var table: GatewayRouteTable
    /// General limit.
    public var rateLimit: RateLimit
    /// Limit on authentication paths.
    public var authRateLimit: RateLimit
    /// Largest accepted request body.
    public var maxBodyBytes: Int
    /// Per-request upstream deadline.
    public var upstreamTimeout: Duration
    /// Allowed CORS origins.
    public var corsOrigins: [String]

    /// Creates a configuration.
    public init(common: CommonConfiguration, routes: [GatewayRoute] = [], rateLimit: RateLimit = RateLimit(perSecond: 50, burst: 100),
                authRateLimit: RateLimit = RateLimit(perSecond: 2, burst: 10), maxBodyBytes: Int = 10 << 20,
                upstreamTimeout: Duration = .seconds(30), corsOrigins: [String] = []) {
        self.common = common
        self.routes = routes
        self.table = GatewayRouteTable(routes, development: common.mode.isDevelopment)
        self.rateLimit = rateLimit
        self.authRateLimit = authRateLimit
        self.maxBodyBytes = maxBodyBytes
        self.upstreamTimeout = upstreamTimeout
        self.corsOrigins = corsOrigins
    }

    /// Reads the configuration, listing every missing key.
    public static func load(reader: inout ConfigReader) throws -> GatewayConfiguration {
        let common = CommonConfiguration(service: .gateway, needsDatabase: false, reader: &reader)
        let configuration = GatewayConfiguration(
            common: common,
            rateLimit: RateLimit(perSecond: Double(reader.int("PLEXUS_GATEWAY_RATE_LIMIT", default: 50)), burst: Double(reader.int("PLEXUS_GATEWAY_RATE_LIMIT_BURST", default: 100))),
            authRateLimit: RateLimit(perSecond: Double(reader.int("PLEXUS_GATEWAY_AUTH_RATE_LIMIT", default: 2)), burst: Double(reader.int("PLEXUS_GATEWAY_AUTH_RATE_LIMIT_BURST", default: 10))),
            maxBodyBytes: reader.int("PLEXUS_GATEWAY_MAX_BODY_BYTES", default: 10 << 20),
            upstreamTimeout: .seconds(reader.int("PLEXUS_GATEWAY_UPSTREAM_TIMEOUT", default: 30)),
            corsOrigins: reader.optional("PLEXUS_CORS_ORIGINS").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        )
        try reader.finish()
        return configuration
    }

    /// The route serving `method` on `path`. `/internal/*` is never routed.
    public func route(method: String, path: String) -> GatewayRouteTable.Match {
        guard !path.hasPrefix("/internal") else { return .none }
        return table.match(method: method, path: path)
    }
}
