import Foundation
import Logging
import PlexusKit

/// Identity's public paths.
public enum IdentityPaths {
    /// The JWKS document.
    public static let jwks = "/.well-known/jwks.json"
}

/// A typed client for identity, used by other services.
public struct IdentityClient: Sendable {
    let client: ServiceClient
    let baseURL: String

    /// Creates a client for identity at `baseURL`.
    public init(client: ServiceClient, baseURL: String) {
        self.client = client
        self.baseURL = baseURL
    }

    /// Fetches the public signing keys.
    public func jwks(logger: Logger) async throws -> JWKSet {
        let response = try await client.send(upstream: "identity", method: .GET, url: baseURL + IdentityPaths.jwks, deadline: .seconds(3), logger: logger)
        guard response.status == .ok else { throw ProblemError.unavailable("identity answered \(response.status.code) for its JWKS") }
        return try response.decode(JWKSet.self)
    }

    /// A verifier for access tokens backed by identity's JWKS.
    public func tokenVerifier(logger: Logger) -> JWKSVerifier {
        JWKSVerifier(logger: logger) { try await self.jwks(logger: logger) }
    }
}
