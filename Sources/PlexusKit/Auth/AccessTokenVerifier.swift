import Crypto
import Foundation
import JWTKit
import Logging
import NIOConcurrencyHelpers

/// Verifies bearer access tokens.
public protocol AccessTokenVerifier: Sendable {
    /// The principal of a valid token; throws a 401 problem otherwise.
    func verify(_ token: String) async throws -> Principal

    /// The outcome of ``verify(_:)`` when it is known without waiting (the token was verified before
    /// and its key is still known), nil when only ``verify(_:)`` can tell. Lets a caller on an event
    /// loop (the gateway's edge) answer most requests without a hop into a task.
    func verifyWithoutWaiting(_ token: String) -> Result<Principal, any Error>?
}

extension AccessTokenVerifier {
    /// Nothing is known without waiting.
    public func verifyWithoutWaiting(_ token: String) -> Result<Principal, any Error>? { nil }
}

/// Verifies EdDSA access tokens against a cached JWKS, refetching when a token names an unknown
/// `kid` (keys rotate) at most once per `minimumRefetchInterval`, and when the cache is older than
/// `maximumAge`.
///
/// Signing uses jwt-kit; verification checks the Ed25519 signature with swift-crypto directly,
/// because jwt-kit's `JWTKeyCollection` is an actor and would serialize every request of a busy
/// process on one executor. The algorithm is pinned: a token whose header is not `EdDSA` is refused
/// before any key is looked at (no `none`, no HMAC-with-public-key confusion).
public final class JWKSVerifier: AccessTokenVerifier {
    /// Loads the current key set (an HTTP GET of identity's `/.well-known/jwks.json`, or identity's
    /// own ring in-process).
    public typealias Fetch = @Sendable () async throws -> JWKSet

    struct State {
        var keys: [String: Curve25519.Signing.PublicKey] = [:]
        var fetchedAt: ContinuousClock.Instant?
        var lastAttempt: ContinuousClock.Instant?
        var lastRefreshFailed = false
        var inflight: Task<Void, Never>?
    }

    let fetch: Fetch
    let state = NIOLockedValueBox(State())
    let minimumRefetchInterval: Duration
    let maximumAge: Duration
    let logger: Logger
    static let claimsDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    /// Creates a verifier.
    public init(minimumRefetchInterval: Duration = .seconds(5), maximumAge: Duration = .seconds(600), logger: Logger, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.minimumRefetchInterval = minimumRefetchInterval
        self.maximumAge = maximumAge
        self.logger = logger
    }

    struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    /// Tokens whose signature was checked, with their key id and claims.
    let verified = VerifiedTokens<(kid: String, claims: AccessClaims)>()

    /// Verifies `token`: pinned algorithm, known key, valid signature, then expiry, issuer, audience.
    /// A token verified before (and whose key is still in the set) skips the signature check.
    public func verify(_ token: String) async throws -> Principal {
        if let known = verifyWithoutWaiting(token) { return try known.get() }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = Data(base64URLEncoded: parts[0]),
              let header = try? Self.claimsDecoder.decode(Header.self, from: headerData),
              header.alg == "EdDSA", let kid = header.kid,
              let signature = Data(base64URLEncoded: parts[2]),
              let payload = Data(base64URLEncoded: parts[1])
        else { throw ProblemError.unauthorized("The access token is malformed.", code: "invalid_token") }

        guard let key = try await key(for: kid) else {
            throw ProblemError.unauthorized("The access token was signed with an unknown key.", code: "invalid_token")
        }
        let signingInput = token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)
        guard key.isValidSignature(signature, for: Data(signingInput)) else {
            throw ProblemError.unauthorized("The access token signature is invalid.", code: "invalid_token")
        }
        guard let claims = try? Self.claimsDecoder.decode(AccessClaims.self, from: payload) else {
            throw ProblemError.unauthorized("The access token claims are malformed.", code: "invalid_token")
        }
        verified.remember(token, (kid, claims))
        return try Self.principal(claims)
    }

    /// A token verified before (its key still in the set): its claims checked again, no signature check.
    public func verifyWithoutWaiting(_ token: String) -> Result<Principal, any Error>? {
        guard let (kid, claims) = verified.value(for: token), state.withLockedValue({ $0.keys[kid] != nil }) else { return nil }
        return Result { try Self.principal(claims) }
    }

    /// The principal of claims whose signature is valid, once they are checked (expiry, issuer, audience).
    static func principal(_ claims: AccessClaims) throws -> Principal {
        do { try claims.validate() } catch {
            throw ProblemError.unauthorized("The access token has expired or is not for this audience.", code: "invalid_token")
        }
        return claims.principal
    }

    func key(for kid: String) async throws -> Curve25519.Signing.PublicKey? {
        let now = ContinuousClock.now
        let (cached, mayRefetch) = state.withLockedValue { state -> (Curve25519.Signing.PublicKey?, Bool) in
            let stale = state.fetchedAt.map { now - $0 > maximumAge } ?? true
            let cached = stale ? nil : state.keys[kid]
            let mayRefetch = state.lastAttempt.map { now - $0 >= minimumRefetchInterval } ?? true
            return (cached, mayRefetch)
        }
        if let cached { return cached }
        // Concurrent requests with a new kid all wait for one fetch instead of failing while it runs.
        let fetch = state.withLockedValue { state -> Task<Void, Never>? in
            if let inflight = state.inflight { return inflight }
            guard mayRefetch else { return nil }
            let task = Task { await self.refresh() }
            state.inflight = task
            return task
        }
        await fetch?.value
        return try state.withLockedValue { state in
            if let key = state.keys[kid] { return key }
            // Without the key set we cannot tell a forged token from a rotated key: that is an
            // outage of identity (503), not the caller's fault (401).
            if state.lastRefreshFailed {
                throw ProblemError.unavailable("Signing keys are unavailable; try again shortly.", code: "jwks_unavailable", retryAfter: 5)
            }
            return nil
        }
    }

    /// Refetches the key set now. Failures keep the previous keys (a JWKS outage must not log
    /// everybody out).
    public func refresh() async {
        state.withLockedValue { $0.lastAttempt = .now }
        do {
            let set = try await fetch()
            var keys: [String: Curve25519.Signing.PublicKey] = [:]
            for jwk in set.keys where jwk.kty == "OKP" && jwk.crv == "Ed25519" && jwk.alg == "EdDSA" {
                if let raw = Data(base64URLEncoded: jwk.x), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) {
                    keys[jwk.kid] = key
                }
            }
            state.withLockedValue { state in
                state.keys = keys
                state.fetchedAt = .now
                state.lastRefreshFailed = false
                state.inflight = nil
            }
        } catch {
            state.withLockedValue { state in
                state.lastRefreshFailed = true
                state.inflight = nil
            }
            logger.warning("could not refresh JWKS", metadata: ["error": .string(String(describing: error))])
        }
    }
}

extension AccessClaims {
    /// Clock skew tolerated between identity and a verifying service.
    public static let leeway: TimeInterval = 30

    /// Expiry (with ``leeway``), not-before (`iat` in the future beyond the leeway), issuer and
    /// audience checks without a signer.
    public func validate(now: Date = Date()) throws {
        try exp.verifyNotExpired(currentDate: now.addingTimeInterval(-Self.leeway))
        guard iat.value.timeIntervalSince(now) <= Self.leeway else {
            throw JWTError.claimVerificationFailure(failedClaim: iat, reason: "issued in the future")
        }
        try aud.verifyIntendedAudience(includes: Self.audience)
        guard iss.value == Self.issuer else { throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "unexpected issuer") }
    }
}
