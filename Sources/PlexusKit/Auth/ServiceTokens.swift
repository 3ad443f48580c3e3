import Foundation
import Hummingbird
import JWTKit
import NIOConcurrencyHelpers

/// Claims of a service-to-service token (audience `internal`).
public struct ServiceClaims: JWTPayload {
    /// The calling service.
    public var sub: SubjectClaim
    /// Always `internal`.
    public var aud: AudienceClaim
    /// Short expiry.
    public var exp: ExpirationClaim
    /// Issued at.
    public var iat: IssuedAtClaim

    /// Checks expiry and audience.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try aud.verifyIntendedAudience(includes: "internal")
    }
}

/// Issues and checks service tokens: HS256 JWTs over the shared internal secret, for audience
/// `internal`, living two minutes. Tokens are cached and reissued shortly before expiry.
public final class ServiceTokens: Sendable {
    let keys: JWTKeyCollection
    let serviceName: String
    let cached = NIOLockedValueBox<(token: String, expires: Date)?>(nil)

    /// Creates the issuer/verifier. `secret` must be at least 32 bytes (checked by configuration).
    public init(serviceName: String, secret: String) async {
        precondition(secret.utf8.count >= 32, "the internal secret must be at least 32 bytes")
        self.serviceName = serviceName
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "internal")
    }

    /// A valid token for calling another service.
    public func issue() async throws -> String {
        let now = Date()
        if let cached = cached.withLockedValue({ $0 }), cached.expires.timeIntervalSince(now) > 30 { return cached.token }
        let expires = now.addingTimeInterval(120)
        let claims = ServiceClaims(sub: SubjectClaim(value: serviceName), aud: AudienceClaim(value: ["internal"]),
                                   exp: ExpirationClaim(value: expires), iat: IssuedAtClaim(value: now))
        let token = try await keys.sign(claims, kid: "internal")
        cached.withLockedValue { $0 = (token, expires) }
        return token
    }

    /// The calling service's name, or a 401 problem.
    @discardableResult
    public func requireService(_ request: Request) async throws -> String {
        guard let token = request.bearerToken else { throw ProblemError.unauthorized("A service token is required.") }
        do {
            return try await keys.verify(token, as: ServiceClaims.self).sub.value
        } catch {
            throw ProblemError.unauthorized("The service token is invalid.", code: "invalid_token")
        }
    }
}

extension Request {
    /// The token of an `Authorization: Bearer …` header.
    public var bearerToken: String? {
        guard let value = headers[.authorization] else { return nil }
        let prefix = "bearer "
        guard value.count > prefix.count, value.lowercased().hasPrefix(prefix) else { return nil }
        let token = value.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

/// Verifies a bearer token when one is present and puts the principal on the context. A present
/// but invalid token is a 401; an absent one leaves the request anonymous (routes decide).
public struct AuthMiddleware: RouterMiddleware {
    let verifier: any AccessTokenVerifier

    /// Creates the middleware.
    public init(verifier: any AccessTokenVerifier) {
        self.verifier = verifier
    }

    /// Handles one request.
    public func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] != nil, !request.uri.path.hasPrefix("/internal/") else {
            return try await next(request, context)
        }
        guard let token = request.bearerToken else {
            throw ProblemError.unauthorized("Use 'Authorization: Bearer <token>'.", code: "invalid_token")
        }
        var context = context
        context.principal = try await verifier.verify(token)
        return try await next(request, context)
    }
}
