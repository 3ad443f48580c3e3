import Foundation
import PlexusKit

/// A prefix of public paths and the service that serves it.
public struct GatewayRoute: Sendable, Equatable {
    /// Path prefix (matches the path itself and anything below it).
    public var prefix: String
    /// The upstream service.
    public var upstream: ServiceName
    /// Only routed in development mode (the dev mailbox).
    public var developmentOnly: Bool
    /// Subject to the stricter authentication rate limit.
    public var strictLimit: Bool

    /// Creates a route.
    public init(_ prefix: String, _ upstream: ServiceName, developmentOnly: Bool = false, strictLimit: Bool = false) {
        self.prefix = prefix
        self.upstream = upstream
        self.developmentOnly = developmentOnly
        self.strictLimit = strictLimit
    }

    /// The routes the services declare (``PlexusService/publicRoutes``), longest prefix first.
    public static func routes(of topology: Topology) -> [GatewayRoute] {
        topology.gatewayRoutes.map { GatewayRoute($0.route.prefix, $0.service, developmentOnly: $0.route.developmentOnly, strictLimit: $0.route.strictLimit) }
    }
}

/// The gateway's configuration.
///
/// `PLEXUS_GATEWAY_RATE_LIMIT` (requests per second per client, 50) and `…_BURST` (100);
/// `PLEXUS_GATEWAY_AUTH_RATE_LIMIT` (per second on `/api/v1/auth/*`, 2) and `…_BURST` (10);
/// `PLEXUS_GATEWAY_MAX_BODY_BYTES` (10 MiB); `PLEXUS_GATEWAY_UPSTREAM_TIMEOUT` (seconds, 30);
/// `PLEXUS_CORS_ORIGINS` (comma-separated origins, or `*`; none by default);
/// `PLEXUS_GATEWAY_TRUST_FORWARDED_FOR` (false: take the client address from the socket).
public struct GatewayConfiguration: ServiceConfiguration {
    /// Common settings.
    public var common: CommonConfiguration
    /// Routes (from the topology when empty).
    public var routes: [GatewayRoute]
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
    /// Trust `X-Forwarded-For` from a load balancer in front.
    public var trustForwardedFor: Bool

    /// Creates a configuration.
    public init(common: CommonConfiguration, routes: [GatewayRoute] = [], rateLimit: RateLimit = RateLimit(perSecond: 50, burst: 100),
                authRateLimit: RateLimit = RateLimit(perSecond: 2, burst: 10), maxBodyBytes: Int = 10 << 20,
                upstreamTimeout: Duration = .seconds(30), corsOrigins: [String] = [], trustForwardedFor: Bool = false) {
        self.common = common
        self.routes = routes.sorted { $0.prefix.count > $1.prefix.count }
        self.rateLimit = rateLimit
        self.authRateLimit = authRateLimit
        self.maxBodyBytes = maxBodyBytes
        self.upstreamTimeout = upstreamTimeout
        self.corsOrigins = corsOrigins
        self.trustForwardedFor = trustForwardedFor
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
            corsOrigins: reader.optional("PLEXUS_CORS_ORIGINS").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [],
            trustForwardedFor: reader.bool("PLEXUS_GATEWAY_TRUST_FORWARDED_FOR", default: false)
        )
        try reader.finish()
        return configuration
    }

    /// The route serving `path`, if any. `/internal/*` is never routed.
    public func route(for path: String) -> GatewayRoute? {
        guard !path.hasPrefix("/internal") else { return nil }
        return routes.first { route in
            (path == route.prefix || path.hasPrefix(route.prefix + "/")) && (!route.developmentOnly || common.mode.isDevelopment)
        }
    }
}
