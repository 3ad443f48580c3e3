import Foundation
import IdentityAPI
import JWTKit
import Logging
import PlexusKit
import PostgresNIO

/// Everything identity's flows need, built once by `buildApplication`.
struct Identity: Sendable {
    let client: DatabaseClient
    let users: UserRepository
    let sessions: SessionRepository
    let emailTokens = EmailTokenRepository()
    let throttles: ThrottleRepository
    let addresses: AddressRepository
    let hasher: PasswordHasher
    let signer: JWTKeyCollection
    let configuration: IdentityConfiguration
    let outbox: Outbox
    /// A hash of a random password, verified against when the e-mail is unknown so that both
    /// failure paths cost one bcrypt verification (no timing oracle for account existence).
    let dummyHash: String

    init(client: DatabaseClient, configuration: IdentityConfiguration, outbox: Outbox) async throws {
        self.client = client
        self.users = UserRepository(client: client)
        self.sessions = SessionRepository(client: client)
        self.throttles = ThrottleRepository(client: client)
        self.addresses = AddressRepository(client: client)
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.signer = await configuration.signingKeys.signingCollection()
        self.configuration = configuration
        self.outbox = outbox
        self.dummyHash = try await hasher.hash(RandomToken.hex(bytes: 16))
    }

    /// Signs an access token and stores a refresh token in `familyID` (a new family when nil).
    func issueTokens(for user: UserRecord, familyID: UUID?, on connection: PostgresConnection, logger: Logger) async throws -> TokenPair {
        let family = familyID ?? UUID.v7()
        let refresh = try await sessions.issue(userID: user.id, familyID: family, ttl: configuration.refreshTokenTTL, on: connection, logger: logger)
        let claims = AccessClaims(userID: user.id, roles: user.roleSet, emailVerified: user.emailVerified, tokenVersion: user.tokenVersion,
                                  sessionID: family, issuedAt: Date(), lifetime: TimeInterval(configuration.accessTokenTTL))
        let access = try await signer.sign(claims, kid: JWKIdentifier(string: configuration.signingKeys.currentKeyID))
        return TokenPair(accessToken: access, refreshToken: refresh, expiresIn: configuration.accessTokenTTL)
    }

    /// The caller's current record: a token issued before the latest token-version bump, or for a
    /// disabled or deleted user, is refused (401), even though its signature is still valid.
    func currentUser(_ principal: Principal, logger: Logger) async throws -> UserRecord {
        guard let id = principal.userID, let user = try await users.find(id: id, logger: logger),
              !user.disabled, user.tokenVersion == principal.tokenVersion
        else { throw ProblemError.unauthorized("This session has ended; sign in again.", code: "token_revoked") }
        return user
    }

    /// Issues an e-mail token and publishes the event that makes notification send the link.
    func sendEmailLink(to user: UserRecord, purpose: EmailTokenRepository.Purpose, on connection: PostgresConnection, logger: Logger) async throws {
        let (ttl, path, event): (TimeInterval, String, EventType<EmailTokenIssued>) = switch purpose {
        case .verifyEmail: (86400, IdentityEndpoints.verifyEmailPage.path, IdentityEvent.verificationRequested)
        case .resetPassword: (3600, IdentityEndpoints.resetPasswordPage.path, IdentityEvent.passwordResetRequested)
        }
        let (token, expiresAt) = try await emailTokens.issue(userID: user.id, purpose: purpose, ttl: ttl, on: connection, logger: logger)
        let link = configuration.common.publicURL + path + "?token=" + token
        try await outbox.publish(event, EmailTokenIssued(userId: user.id, email: user.email, name: user.name, actionURL: link, expiresAt: expiresAt),
                                 on: connection, logger: logger)
    }
}
