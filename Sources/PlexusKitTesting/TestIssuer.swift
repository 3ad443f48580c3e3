import Foundation
import JWTKit
import PlexusKit

/// Issues access tokens the way identity does, for testing services that only verify them.
public struct TestIssuer: Sendable {
    /// The signing keys.
    public let ring: SigningKeyRing

    /// A fresh Ed25519 key ring.
    public init() throws {
        ring = try SigningKeyRing(encoded: SigningKeyRing.generateEncoded())
    }

    /// A verifier that trusts this issuer's keys.
    public var verifier: JWKSVerifier {
        let ring = self.ring
        return JWKSVerifier(logger: testLogger()) { ring.jwks }
    }

    /// A signed access token for `user` with `roles`.
    public func token(user: UUID = .v7(), roles: [Role] = [.customer], emailVerified: Bool = true) async throws -> String {
        let claims = AccessClaims(userID: user, roles: roles, emailVerified: emailVerified, tokenVersion: 0, sessionID: nil,
                                  issuedAt: Date(), lifetime: 900)
        return try await ring.signingCollection().sign(claims, kid: JWKIdentifier(string: ring.currentKeyID))
    }
}
