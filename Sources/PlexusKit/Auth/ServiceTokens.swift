import Crypto
import Foundation
import Hummingbird
import NIOConcurrencyHelpers

/// This service's signing key and the public keys of the services it accepts calls from.
///
/// Configuration: `PLEXUS_<SERVICE>_SERVICE_KEY` (this service's Ed25519 private key, base64url of
/// its 32 bytes; only this service's process holds it) and `PLEXUS_SERVICE_PUBLIC_KEYS`
/// (`identity:<base64url>,shop:<base64url>,…`, the public halves, safe to share). Holding one
/// service's key lets you speak only as that service.
public struct ServiceKeys: Sendable {
    /// Which service signs with `privateKey`.
    public let service: ServiceName
    let privateKey: Curve25519.Signing.PrivateKey
    let publicKeys: [ServiceName: Curve25519.Signing.PublicKey]

    /// Creates the keys from their parts.
    public init(service: ServiceName, privateKey: Curve25519.Signing.PrivateKey, publicKeys: [ServiceName: Curve25519.Signing.PublicKey]) {
        self.service = service
        self.privateKey = privateKey
        var publicKeys = publicKeys
        publicKeys[service] = privateKey.publicKey
        self.publicKeys = publicKeys
    }

    /// Parses the configured forms; throws ``ServiceKeyError`` naming what is malformed.
    public init(service: ServiceName, encodedPrivateKey: String, encodedPublicKeys: String) throws {
        guard let raw = Data(base64URLEncoded: encodedPrivateKey.trimmingCharacters(in: .whitespaces)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else { throw ServiceKeyError.malformedPrivateKey(service) }
        self.init(service: service, privateKey: key, publicKeys: try Self.parsePublicKeys(encodedPublicKeys))
    }

    /// Parses `name:base64url,…`.
    public static func parsePublicKeys(_ text: String) throws -> [ServiceName: Curve25519.Signing.PublicKey] {
        var keys: [ServiceName: Curve25519.Signing.PublicKey] = [:]
        for entry in text.split(separator: ",") {
            let pair = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let name = ServiceName(rawValue: pair[0]), let raw = Data(base64URLEncoded: pair[1]),
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { throw ServiceKeyError.malformedPublicKeys(String(entry)) }
            keys[name] = key
        }
        return keys
    }

    /// A new private key, base64url-encoded (what `plexus up` generates per service).
    public static func generatePrivateKey() -> String {
        Curve25519.Signing.PrivateKey().rawRepresentation.base64URLEncodedString()
    }

    /// The public half of an encoded private key, base64url-encoded.
    public static func publicKey(ofEncoded encoded: String) throws -> String {
        guard let raw = Data(base64URLEncoded: encoded), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw ServiceKeyError.malformedPrivateKey(nil)
        }
        return key.publicKey.rawRepresentation.base64URLEncodedString()
    }
}

/// A malformed service key setting.
public enum ServiceKeyError: Error, CustomStringConvertible {
    /// The private key is not base64url of 32 bytes.
    case malformedPrivateKey(ServiceName?)
    /// An entry of the public key list is not `service:base64url`.
    case malformedPublicKeys(String)

    /// A readable description.
    public var description: String {
        switch self {
        case .malformedPrivateKey(let service):
            "\(service.map { $0.environmentPrefix } ?? "PLEXUS_<SERVICE>_")SERVICE_KEY must be base64url of a 32-byte Ed25519 private key"
        case .malformedPublicKeys(let entry): "PLEXUS_SERVICE_PUBLIC_KEYS entry '\(entry)' is not service:base64url(32-byte Ed25519 public key)"
        }
    }
}

/// Issues and checks service-to-service tokens: EdDSA JWTs whose `sub` is the calling service and
/// whose `aud` is the callee, signed with the caller's own key, living two minutes. A callee
/// checks the signature against the caller's public key, that it is the audience, and that the
/// route grants the caller. Tokens are cached per audience and reissued shortly before expiry.
///
/// Signed and verified with swift-crypto directly (as ``JWKSVerifier`` does): the format is fixed
/// and small, and jwt-kit's key collection is an actor every call would queue on.
public final class ServiceTokens: Sendable {
    let keys: ServiceKeys
    let cache = NIOLockedValueBox<[ServiceName: (token: String, expires: Date)]>([:])
    /// Tokens received whose signature was checked: their caller, audience and expiry.
    let verified = VerifiedTokens<Claims>()
    static let lifetime: TimeInterval = 120
    static let leeway: TimeInterval = 30

    /// Creates the issuer/verifier for `keys.service`.
    public init(keys: ServiceKeys) {
        self.keys = keys
    }

    /// This service.
    public var service: ServiceName { keys.service }

    struct Header: Codable {
        var alg: String
        var typ: String
        var kid: String
    }

    struct Claims: Codable, Sendable {
        var sub: String
        var aud: String
        var iat: Int
        var exp: Int
    }

    /// A valid token for calling `audience`.
    public func token(for audience: ServiceName, now: Date = Date()) throws -> String {
        if let cached = cache.withLockedValue({ $0[audience] }), cached.expires.timeIntervalSince(now) > Self.leeway { return cached.token }
        let expires = now.addingTimeInterval(Self.lifetime)
        let header = Header(alg: "EdDSA", typ: "JWT", kid: keys.service.rawValue)
        let claims = Claims(sub: keys.service.rawValue, aud: audience.rawValue, iat: Int(now.timeIntervalSince1970), exp: Int(expires.timeIntervalSince1970))
        let input = try JSONEncoder().encode(header).base64URLEncodedString() + "." + JSONEncoder().encode(claims).base64URLEncodedString()
        let signature = try keys.privateKey.signature(for: Data(input.utf8))
        let token = input + "." + signature.base64URLEncodedString()
        cache.withLockedValue { $0[audience] = (token, expires) }
        return token
    }

    /// The calling service when `token` is a valid service token for this service from one of
    /// `allowed`: 401 when it is missing, malformed, expired or not signed by the service it names;
    /// 403 when it is for another audience or from a caller this route does not grant.
    @discardableResult
    public func verify(_ token: String?, allowed: Set<ServiceName>, now: Date = Date()) throws -> ServiceName {
        guard let token else { throw ProblemError.unauthorized("A service token is required.") }
        let claims = try verified.value(for: token) ?? checkSignature(token)
        let caller = ServiceName(rawValue: claims.sub)!
        guard Double(claims.exp) + AccessClaims.leeway > now.timeIntervalSince1970 else {
            throw ProblemError.unauthorized("The service token has expired.", code: "invalid_token")
        }
        guard claims.aud == keys.service.rawValue else {
            throw ProblemError.forbidden("This service token is for \(claims.aud), not \(keys.service).", code: "wrong_audience")
        }
        guard allowed.contains(caller) else {
            throw ProblemError.forbidden("\(caller) may not call this route.", code: "caller_not_granted")
        }
        return caller
    }

    /// The claims of a token signed by the service it names (remembered for the next request).
    private func checkSignature(_ token: String) throws -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Data(base64URLEncoded: parts[0]), let claimsData = Data(base64URLEncoded: parts[1]),
              let signature = Data(base64URLEncoded: parts[2]),
              let header = try? JSONDecoder().decode(Header.self, from: headerData), header.alg == "EdDSA",
              let claims = try? JSONDecoder().decode(Claims.self, from: claimsData),
              let caller = ServiceName(rawValue: claims.sub), header.kid == claims.sub
        else { throw ProblemError.unauthorized("The service token is malformed.", code: "invalid_token") }
        guard let key = keys.publicKeys[caller],
              key.isValidSignature(signature, for: Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)))
        else { throw ProblemError.unauthorized("The service token is not signed by \(caller).", code: "invalid_token") }
        verified.remember(token, claims)
        return claims
    }

    /// ``verify(_:allowed:now:)`` on a request's bearer token.
    @discardableResult
    public func requireCaller(_ request: Request, allowed: Set<ServiceName>) throws -> ServiceName {
        try verify(request.bearerToken, allowed: allowed)
    }
}

extension Request {
    /// The token of an `Authorization: Bearer …` header.
    public var bearerToken: String? {
        guard let value = headers[.authorization] else { return nil }
        return Self.bearerToken(in: value)
    }

    /// The token of an `Authorization` value `Bearer <token>` (scheme case-insensitive, spaces and
    /// tabs around the token ignored). Byte-level: Foundation's lower-casing and trimming were 7 %
    /// of the gateway's CPU per request.
    public static func bearerToken(in value: String) -> String? {
        let scheme: [UInt8] = Array("bearer".utf8)
        var bytes = Substring(value).utf8
        guard bytes.count > scheme.count + 1, zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 }),
              bytes.dropFirst(scheme.count).first == 0x20 else { return nil }
        bytes = bytes.dropFirst(scheme.count + 1)
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        while let first = bytes.first, blank(first) { bytes = bytes.dropFirst() }
        while let last = bytes.last, blank(last) { bytes = bytes.dropLast() }
        return bytes.isEmpty ? nil : String(Substring(bytes))
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
