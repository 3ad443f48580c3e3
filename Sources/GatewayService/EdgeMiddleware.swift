import Foundation
import HTTPTypes
import Hummingbird
import PlexusKit

/// Security headers on every response, and CORS for the configured origins.
struct SecurityHeadersMiddleware: RouterMiddleware {
    let corsOrigins: Set<String>

    func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        let allowedOrigin = origin.flatMap { corsOrigins.contains("*") || corsOrigins.contains($0) ? $0 : nil }
        var response: Response
        if request.method == .options, allowedOrigin != nil, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders]
                ?? "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-ID, X-Cart-Token"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        if let allowedOrigin {
            response.headers[.accessControlAllowOrigin] = allowedOrigin
            response.headers[.vary] = "Origin"
            response.headers[.accessControlExposeHeaders] = "X-Request-ID, ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Cart-Token"
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains"
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        }
        return response
    }
}

/// Per-client token buckets: one general, one stricter for authentication paths.
extension HTTPField.Name {
    // Made once: a name built from a string is checked and lower-cased each time.
    static let rateLimitLimit = Self("RateLimit-Limit")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
    static let rateLimitReset = Self("RateLimit-Reset")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}

struct RateLimitMiddleware: RouterMiddleware {
    let general: RateLimiter
    let auth: RateLimiter
    let configuration: GatewayConfiguration

    func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        let client = context.clientAddress(request, trusted: configuration.common.trustedProxies)
        // Only POSTs can be under the stricter limit; other requests skip the table lookup.
        var strict = false
        if request.method == .post, case .route(let route) = configuration.route(method: "POST", path: request.uri.path) {
            strict = route.strictLimit
        }
        let (limiter, limit) = strict ? (auth, configuration.authRateLimit) : (general, configuration.rateLimit)
        let decision = limiter.take((strict ? "auth:" : "all:") + client)
        var headers = HTTPFields()
        headers[.rateLimitLimit] = String(Int(limit.burst))
        headers[.rateLimitRemaining] = String(decision.remaining)
        headers[.rateLimitReset] = String(decision.resetSeconds)
        guard decision.allowed else {
            var problem = ProblemError.tooManyRequests(retryAfter: decision.resetSeconds)
            problem.headers.append(contentsOf: headers)
            throw problem
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: headers)
        return response
    }
}
