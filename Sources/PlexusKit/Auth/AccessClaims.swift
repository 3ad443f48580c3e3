import Foundation
import JWTKit

/// The claims of a Plexus access token (signed by identity with Ed25519).
public struct AccessClaims: JWTPayload, Equatable {
    /// The issuer every access token carries.
    public static let issuer = "plexus-identity"
    /// The audience every access token carries.
    public static let audience = "plexus"

    /// User id.
    public var sub: SubjectClaim
    /// Role names.
    public var roles: [String]
    /// E-mail verified.
    public var emailVerified: Bool
    /// Issuer.
    public var iss: IssuerClaim
    /// Audience.
    public var aud: AudienceClaim
    /// Expiry.
    public var exp: ExpirationClaim
    /// Issued at.
    public var iat: IssuedAtClaim
    /// Token id.
    public var jti: IDClaim
    /// Token version: tokens older than the user's current version are revoked.
    public var tv: Int
    /// The session (refresh-token family) this token belongs to.
    public var sid: String?

    enum CodingKeys: String, CodingKey {
        case sub, roles, iss, aud, exp, iat, jti, tv, sid
        case emailVerified = "email_verified"
    }

    /// Creates claims for a user.
    public init(userID: UUID, roles: [Role], emailVerified: Bool, tokenVersion: Int, sessionID: UUID?, issuedAt: Date, lifetime: TimeInterval) {
        self.sub = SubjectClaim(value: userID.lowercased)
        self.roles = roles.sorted().map(\.rawValue)
        self.emailVerified = emailVerified
        self.iss = IssuerClaim(value: Self.issuer)
        self.aud = AudienceClaim(value: [Self.audience])
        // Whole seconds: RFC 7519 allows fractions, but many JWT libraries reject them.
        let issued = Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down))
        self.exp = ExpirationClaim(value: issued.addingTimeInterval(lifetime.rounded(.down)))
        self.iat = IssuedAtClaim(value: issued)
        self.jti = IDClaim(value: UUID.v7().lowercased)
        self.tv = tokenVersion
        self.sid = sessionID?.lowercased
    }

    /// Checks expiry, issuer and audience.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try validate()
    }

    /// The principal these claims describe.
    public var principal: Principal {
        Principal(kind: .user, subject: sub.value, roles: Set(roles.compactMap(Role.init(rawValue:))),
                  emailVerified: emailVerified, tokenVersion: tv, tokenID: jti.value, sessionID: sid.flatMap(UUID.init(uuidString:)))
    }
}
