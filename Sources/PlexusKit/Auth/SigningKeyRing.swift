import Crypto
import Foundation
import JWTKit

extension PublicJWK {
    /// The JWK of an Ed25519 public key.
    public init(kid: String, publicKey: Curve25519.Signing.PublicKey) {
        self.init(kid: kid, x: publicKey.rawRepresentation.base64URLEncodedString())
    }
}

/// Identity's Ed25519 signing keys: one current key that signs, and older public keys still
/// published so tokens signed before a rotation keep verifying until they expire.
public struct SigningKeyRing: Sendable {
    /// The key id of the signing key.
    public let currentKeyID: String
    let privateKey: Curve25519.Signing.PrivateKey
    /// Previously used public keys, by kid.
    public let previous: [String: Curve25519.Signing.PublicKey]

    /// Creates a ring from a private key and older public keys.
    public init(currentKeyID: String, privateKey: Curve25519.Signing.PrivateKey, previous: [String: Curve25519.Signing.PublicKey] = [:]) {
        self.currentKeyID = currentKeyID
        self.privateKey = privateKey
        self.previous = previous
    }

    /// Parses `kid:base64url(private key bytes)`, the form `PLEXUS_IDENTITY_SIGNING_KEY` takes.
    public init(encoded: String, previousPublicKeys: String? = nil) throws {
        let parts = encoded.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let raw = Data(base64URLEncoded: parts[1]) else { throw SigningKeyError.malformed }
        self.currentKeyID = parts[0]
        self.privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        var previous: [String: Curve25519.Signing.PublicKey] = [:]
        for entry in (previousPublicKeys ?? "").split(separator: ",") {
            let pair = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard pair.count == 2, let raw = Data(base64URLEncoded: pair[1]) else { throw SigningKeyError.malformed }
            previous[pair[0]] = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        }
        self.previous = previous
    }

    /// A fresh key with a time-based kid, encoded as `kid:base64url(bytes)`.
    public static func generateEncoded() -> String {
        let key = Curve25519.Signing.PrivateKey()
        let kid = "k" + String(Int(Date().timeIntervalSince1970))
        return "\(kid):\(key.rawRepresentation.base64URLEncodedString())"
    }

    /// The published key set: the current key first, then the previous ones.
    public var jwks: JWKSet {
        JWKSet(keys: [PublicJWK(kid: currentKeyID, publicKey: privateKey.publicKey)]
            + previous.sorted { $0.key < $1.key }.map { PublicJWK(kid: $0.key, publicKey: $0.value) })
    }

    /// A key collection that signs with the current key.
    public func signingCollection() async -> JWTKeyCollection {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: currentKeyID))
        return keys
    }
}

/// A malformed signing key setting.
public enum SigningKeyError: Error, CustomStringConvertible {
    /// The value is not `kid:base64url`.
    case malformed

    /// A readable description.
    public var description: String { "signing key must be 'kid:base64url(32-byte Ed25519 private key)'" }
}
