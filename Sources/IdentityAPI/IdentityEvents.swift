import Foundation
import PlexusContract

/// Event types identity publishes through its outbox.
public enum IdentityEvent {
    /// A user registered.
    public static let userRegistered = EventType("identity.user_registered", publisher: .identity, payload: UserRegistered.self)
    /// A verification e-mail should be sent.
    public static let verificationRequested = EventType("identity.verification_requested", publisher: .identity, payload: EmailTokenIssued.self)
    /// A password-reset e-mail should be sent.
    public static let passwordResetRequested = EventType("identity.password_reset_requested", publisher: .identity, payload: EmailTokenIssued.self)
    /// A password was changed or reset.
    public static let passwordChanged = EventType("identity.password_changed", publisher: .identity, payload: PasswordChanged.self)

    /// Every type identity publishes.
    public static let all: [EventDescriptor] = [userRegistered.descriptor, verificationRequested.descriptor,
                                                passwordResetRequested.descriptor, passwordChanged.descriptor]
}

/// `identity.user_registered`.
public struct UserRegistered: Codable, Sendable, Equatable {
    /// The new user.
    public var userId: UUID
    /// Their e-mail.
    public var email: String
    /// Their name.
    public var name: String

    /// Creates the payload.
    public init(userId: UUID, email: String, name: String) {
        self.userId = userId
        self.email = email
        self.name = name
    }
}

/// `identity.verification_requested` and `identity.password_reset_requested`: a single-use link to
/// e-mail. The token is only in this event and the e-mail; identity stores its hash.
public struct EmailTokenIssued: Codable, Sendable, Equatable {
    /// The user.
    public var userId: UUID
    /// Where to send it.
    public var email: String
    /// Their name.
    public var name: String
    /// The absolute link (on the gateway) carrying the token.
    public var actionURL: String
    /// When the link stops working.
    public var expiresAt: Date

    /// Creates the payload.
    public init(userId: UUID, email: String, name: String, actionURL: String, expiresAt: Date) {
        self.userId = userId
        self.email = email
        self.name = name
        self.actionURL = actionURL
        self.expiresAt = expiresAt
    }
}

/// `identity.password_changed`.
public struct PasswordChanged: Codable, Sendable, Equatable {
    /// The user.
    public var userId: UUID
    /// Where to notify.
    public var email: String
    /// Their name.
    public var name: String
    /// `reset` or `change`.
    public var via: String

    /// Creates the payload.
    public init(userId: UUID, email: String, name: String, via: String) {
        self.userId = userId
        self.email = email
        self.name = name
        self.via = via
    }
}
