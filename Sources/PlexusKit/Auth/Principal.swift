import Foundation

/// The verified caller of a request.
public struct Principal: Sendable, Equatable {
    /// A user (access token) or another service (service token).
    public enum Kind: Sendable, Equatable {
        /// An end user.
        case user
        /// An internal service.
        case service
    }

    /// User or service.
    public var kind: Kind
    /// `sub`: the user id, or the service name.
    public var subject: String
    /// Roles (users only).
    public var roles: Set<Role>
    /// Whether the user's e-mail is verified.
    public var emailVerified: Bool
    /// The token version the token was issued under (bumped by logout-all and password changes).
    public var tokenVersion: Int
    /// The token id.
    public var tokenID: String
    /// The session (refresh-token family) of the token.
    public var sessionID: UUID?

    /// Creates a principal.
    public init(kind: Kind, subject: String, roles: Set<Role>, emailVerified: Bool, tokenVersion: Int, tokenID: String, sessionID: UUID? = nil) {
        self.kind = kind
        self.subject = subject
        self.roles = roles
        self.emailVerified = emailVerified
        self.tokenVersion = tokenVersion
        self.tokenID = tokenID
        self.sessionID = sessionID
    }

    /// The user id, for user principals.
    public var userID: UUID? { kind == .user ? UUID(uuidString: subject) : nil }
}
