import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PlexusKit
import ServiceLifecycle

/// The gateway: one public entry point in front of every service.
public enum GatewayService: PlexusService {
    public static let name = ServiceName.gateway
    public static let usesDatabase = false
    public static var endpoints: [EndpointDescription] { [DocsPage.page.description, DocsPage.script.description] }
    public static let summary = "The one public entry point: routing, edge token check, rate limits, CORS, request ids, the merged documentation."

    public static func loadConfiguration(reader: inout ConfigReader) throws -> GatewayConfiguration {
        try GatewayConfiguration.load(reader: &reader)
    }

    /// The proxy over the routes the topology declares (unless the configuration names its own).
    public static func build(configuration: GatewayConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        var configuration = configuration
        if configuration.routes.isEmpty { configuration.routes = GatewayRoute.routes(of: environment.topology) }
        let (router, server) = try buildGateway(configuration: configuration, http: environment.http.http, verifier: environment.verifier,
                                                logger: environment.logger)
        DocsPage.addRoutes(to: router)
        try OperationsRoutes.addDocument(to: router, document(topology: environment.topology, gateway: router.endpoints + [KitEndpoints.openAPI.description],
                                                              development: configuration.common.mode.isDevelopment))
        return ServiceParts(router: router, server: server)
    }

    /// The merged public document: every service's public operations and the gateway's own.
    public static func document(topology: Topology, gateway: [EndpointDescription], development: Bool) -> JSONValue {
        OpenAPIDocument.build(
            title: "Plexus", summary: contractSummary,
            sections: topology.documentSections(development: development).filter { $0.tag != name.rawValue }
                + [OpenAPIDocument.Section(tag: name.rawValue, summary: summary, endpoints: gateway)],
            includeInternal: false)
    }

    /// The document's introduction, with where the running API differs from the contract it was
    /// first written against (this document is the contract now).
    static let contractSummary = """
        The public HTTP API of every Plexus service, through the gateway. Errors are RFC 9457 problem documents \
        (`application/problem+json` with a stable `code`); lists are `{items, nextCursor}` pages; money is integer minor units.

        Where this differs from the first written contract: the address book (`GET /api/v1/users/me/addresses`) is a page; \
        a product is read by `/api/v1/products/{id}` where `id` is an id or a slug; e-mail links open the pages \
        `GET/POST /verify-email` and `GET/POST /reset-password`; a spent or expired e-mail token is 400 `invalid_token`; \
        refresh failures are 401 `invalid_refresh_token` or `refresh_token_reused`; `/dev/mailbox` exists only in development; \
        every cart write (including `DELETE /api/v1/cart/items/{lineId}` and the promotion routes) answers the whole cart with 200, \
        so its new `version` and totals come back; a cart read without a sign-in or `X-Cart-Token` makes a guest cart and returns \
        its token; a cart carries `itemCount`, `readyForCheckout`, `notices` and per line `availability`, `priceChangedFrom` \
        and `notices`; a promotion's use is counted by the order service through `POST /internal/promotions/redemptions` \
        when an order is paid (and released when it is cancelled). \
        `POST /api/v1/memberships` takes the card (`paymentMethod`, charged for the first period at once) with the plan and \
        answers the membership with its charges; `GET /api/v1/memberships/plans` lists the plans and prices; while a renewal \
        is failing, the same `POST` pays it with another card. \
        Media carries `ownerId` and `filename`; `GET /api/v1/media/{id}/file` serves an upload's current bytes (the address \
        product images use) and `DELETE /api/v1/products/{id}/images/{mediaId}` takes an image off a product; product images \
        carry `thumbnails`. \
        A review carries `photos` (URL and thumbnails beside `mediaIds`), `helpfulCount`, and for its author and admins \
        `moderation` (admins also `reportCount`); the seller changes a reply with `PATCH /api/v1/reviews/{id}/reply`; \
        `DELETE /api/v1/reviews/{id}/helpful` takes a vote back; the moderation queue is newest first; a product's detail \
        carries its rating `histogram` and the product list takes `minRating`.
        """

    /// Builds the gateway: the server whose edge forwards the routes' requests (``EdgeProxy``) and the
    /// router behind it for the gateway's own (health, documents, preflights, 404s). The token
    /// verifier is normally identity's JWKS. Fails when a service's URL is not `http://host:port`.
    public static func buildGateway(configuration: GatewayConfiguration, http: HTTPClient, verifier: any AccessTokenVerifier,
                                    logger: Logger) throws -> (router: EndpointRouter, server: HTTPServerBuilder) {
        _ = Observability.registry
        let breakers = CircuitBreakers(template: CircuitBreaker(failureThreshold: 5, openDuration: .seconds(5)))
        let limits = RateLimitMiddleware(general: RateLimiter(limit: configuration.rateLimit), auth: RateLimiter(limit: configuration.authRateLimit),
                                         configuration: configuration)
        let edge = try EdgeProxy(configuration: configuration, breakers: breakers, verifier: verifier, limits: limits, logger: logger)
        let router = Router(context: PlexusContext.self)
        router.add(middleware: RequestIDMiddleware())
        // Outside the problem renderer, so the gateway's own refusals carry the headers too.
        router.add(middleware: SecurityHeadersMiddleware(corsOrigins: Set(configuration.corsOrigins)))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: PersonalResponseMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: limits)
        let client = ServiceClient(http: http, breakers: breakers, maxRetries: 0)
        let endpoints = EndpointRouter(router, tokens: nil)
        OperationsRoutes.add(to: endpoints) { await upstreamHealth(configuration: configuration, client: client, logger: logger) }
        return (endpoints, edge.server())
    }

    /// Each upstream's `/health/ready`, asked concurrently with a short deadline.
    static func upstreamHealth(configuration: GatewayConfiguration, client: ServiceClient, logger: Logger) async -> [String: String] {
        let upstreams = Set(configuration.routes.map(\.upstream))
        return await withTaskGroup(of: (String, String).self) { group in
            for upstream in upstreams {
                guard let base = configuration.common.serviceURLs[upstream] else { continue }
                group.addTask {
                    do {
                        let response = try await client.send(upstream: "health:\(upstream.rawValue)", method: .GET, url: base + KitEndpoints.ready.path,
                                                             deadline: .seconds(2), logger: logger)
                        return (upstream.rawValue, response.status == .ok ? "ok" : "unavailable (\(response.status.code))")
                    } catch {
                        return (upstream.rawValue, "unreachable")
                    }
                }
            }
            var result: [String: String] = [:]
            for await (name, state) in group { result[name] = state }
            return result
        }
    }
}
