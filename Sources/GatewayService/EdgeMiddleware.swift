import Foundation
import HTTPTypes
import Hummingbird
import PlexusKit

/// Security headers on every response, and CORS for the configured origins.
struct SecurityHeadersMiddleware: RouterMiddleware {
    let corsOrigins: Set<String>

    func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        let allowedOrigin = Self.allowedOrigin(request.headers[.origin], among: corsOrigins)
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
        Self.apply(to: &response.headers, allowedOrigin: allowedOrigin)
        return response
    }

    /// `origin` when it may read answers (configured, or every origin with `*`).
    static func allowedOrigin(_ origin: String?, among corsOrigins: Set<String>) -> String? {
        origin.flatMap { corsOrigins.contains("*") || corsOrigins.contains($0) ? $0 : nil }
    }

    /// Whether the gateway answers this request itself as a CORS preflight.
    static func isPreflight(method: HTTPRequest.Method, headers: HTTPFields, corsOrigins: Set<String>) -> Bool {
        method == .options && headers[.accessControlRequestMethod] != nil && allowedOrigin(headers[.origin], among: corsOrigins) != nil
    }

    /// The security headers every answer carries, and CORS's for an allowed origin: one list for the
    /// router's answers and the edge's forwarded ones.
    static func apply(to headers: inout HTTPFields, allowedOrigin: String?) {
        if let allowedOrigin {
            headers[.accessControlAllowOrigin] = allowedOrigin
            headers[.vary] = "Origin"
            headers[.accessControlExposeHeaders] = "X-Request-ID, ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Cart-Token"
        }
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
        headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains"
        if headers[.contentSecurityPolicy] == nil {
            headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        }
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
        let (headers, refusal) = take(method: request.method, path: request.uri.path,
                                      client: context.clientAddress(request, trusted: configuration.common.trustedProxies))
        if let refusal { throw refusal }
        var response = try await next(request, context)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// Takes a token for `client` from the bucket this request counts against: the headers every
    /// answer carries, and the refusal when the bucket is empty.
    func take(method: HTTPRequest.Method, path: String, client: String) -> (HTTPFields, ProblemError?) {
        // Only POSTs can be under the stricter limit; other requests skip the table lookup.
        var strict = false
        if method == .post, case .route(let route) = configuration.route(method: "POST", path: path) {
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
            return (headers, problem)
        }
        return (headers, nil)
    }
}
