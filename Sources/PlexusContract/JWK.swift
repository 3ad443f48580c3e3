import Foundation

/// A public signing key as published in the JWKS (RFC 8037 OKP key).
public struct PublicJWK: Codable, Sendable, Equatable {
    /// `OKP`.
    public var kty: String
    /// `Ed25519`.
    public var crv: String
    /// base64url public key bytes.
    public var x: String
    /// Key id.
    public var kid: String
    /// `EdDSA`.
    public var alg: String
    /// `sig`.
    public var use: String

    /// Creates an Ed25519 signing JWK from its base64url public key bytes.
    public init(kid: String, x: String) {
        self.kty = "OKP"
        self.crv = "Ed25519"
        self.x = x
        self.kid = kid
        self.alg = "EdDSA"
        self.use = "sig"
    }
}

/// A JSON Web Key Set.
public struct JWKSet: Codable, Sendable, Equatable {
    /// The keys.
    public var keys: [PublicJWK]

    /// Creates a set.
    public init(keys: [PublicJWK]) { self.keys = keys }
}

/// Well-known locations (RFC 8615).
public enum WellKnown {
    /// Identity's JWKS.
    public static let jwks = "/.well-known/jwks.json"
}
