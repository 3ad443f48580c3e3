import Foundation
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO

/// The sign-up, sign-in and session flows. Each runs its writes and events in one transaction.
struct AuthFlows: Sendable {
    let identity: Identity
    var users: UserRepository { identity.users }

    func register(_ body: RegisterRequest, logger: Logger) async throws -> UserDTO {
        let hash = try await identity.hasher.hash(body.password)
        let email = body.email.trimmingCharacters(in: .whitespaces)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await identity.client.withTransaction(logger: logger) { connection in
            guard let user = try await users.insert(email: email, name: name, passwordHash: hash, roles: [.customer], verified: false,
                                                    on: connection, logger: logger)
            else { throw IdentityError.emailTaken }
            try await identity.outbox.publish(IdentityEvent.userRegistered, UserRegistered(userId: user.id, email: user.email, name: user.name),
                                              on: connection, logger: logger)
            try await identity.sendEmailLink(to: user, purpose: .verifyEmail, on: connection, logger: logger)
            return user.dto
        }
    }

    func verifyEmail(token: String, logger: Logger) async throws {
        try await identity.client.withTransaction(logger: logger) { connection in
            guard let userID = try await identity.emailTokens.consume(token, purpose: .verifyEmail, on: connection, logger: logger) else {
                throw IdentityError.invalidToken
            }
            try await users.markVerified(id: userID, on: connection, logger: logger)
        }
    }

    /// A link request waiting for the worker.
    struct LinkRequest: Codable, Sendable {
        var email: String
        var purpose: EmailTokenRepository.Purpose
    }

    static let sendLinkKind = JobKind<LinkRequest>("identity.send_link")

    /// Queues a link request: the route answers 202 after the same single insert whether or not the
    /// account exists, so neither the answer nor its timing tells which addresses have accounts.
    func requestLink(email: String, purpose: EmailTokenRepository.Purpose, logger: Logger) async throws {
        // One job per address, purpose and minute: repeated requests add no rows (the mail throttle
        // would drop them anyway), whether or not the account exists.
        let address = UserRepository.normalized(String(email.prefix(320)))
        let minute = Int(Date().timeIntervalSince1970 / 60)
        try await JobQueue.enqueue(Self.sendLinkKind, LinkRequest(email: address, purpose: purpose),
                                   options: JobOptions(maxAttempts: 3, dedupeKey: "link:\(purpose.rawValue):\(minute):\(RandomToken.sha256Hex(address))"),
                                   client: identity.client, logger: logger)
    }

    /// The worker's side of ``requestLink(email:purpose:logger:)``.
    var sendLinkJob: JobRegistration {
        .on(Self.sendLinkKind) { request, _, logger in try await sendLink(email: request.email, purpose: request.purpose, logger: logger) }
    }

    /// Sends a link when the account exists and the address was not mailed in the last minute.
    func sendLink(email: String, purpose: EmailTokenRepository.Purpose, logger: Logger) async throws {
        guard let user = try await users.find(email: email, logger: logger), !user.disabled else { return }
        if purpose == .verifyEmail, user.emailVerified { return }
        let key = "mail:\(purpose.rawValue):\(user.id.lowercased)"
        guard try await identity.throttles.admit(key, policy: .mail, logger: logger) == 0 else { return }
        try await identity.client.withTransaction(logger: logger) { connection in
            try await identity.sendEmailLink(to: user, purpose: purpose, on: connection, logger: logger)
        }
    }

    func login(_ body: LoginRequest, clientAddress: String, logger: Logger) async throws -> TokenPair {
        let accountKey = "login:account:" + UserRepository.normalized(body.email)
        let addressKey = "login:ip:" + clientAddress
        // Each attempt is counted before the hash, so parallel guesses cannot all slip through.
        let wait = try await identity.throttles.admit(accountKey, policy: .account, logger: logger)
        if wait > 0 { throw IdentityError.throttled(retryAfter: wait) }
        let addressWait = try await identity.throttles.admit(addressKey, policy: .address, logger: logger)
        if addressWait > 0 {
            try await identity.throttles.release(accountKey, logger: logger)
            throw IdentityError.throttled(retryAfter: addressWait)
        }

        let user = try await users.find(email: body.email, logger: logger)
        let matches = try await identity.hasher.verify(body.password, hash: user?.passwordHash ?? identity.dummyHash)
        guard let user, matches else { throw IdentityError.invalidCredentials }
        try await identity.throttles.reset(accountKey, logger: logger)
        try await identity.throttles.release(addressKey, logger: logger)
        if user.disabled { throw IdentityError.accountDisabled }
        if !user.emailVerified { throw IdentityError.emailNotVerified }
        return try await identity.client.withTransaction(logger: logger) { connection in
            try await identity.issueTokens(for: user, familyID: nil, on: connection, logger: logger)
        }
    }

    func refresh(token: String, logger: Logger) async throws -> TokenPair {
        let result = try await identity.client.withTransaction(logger: logger) { connection -> Result<TokenPair, IdentityError> in
            switch try await identity.sessions.spend(token, on: connection, logger: logger) {
            case .invalid: return .failure(.invalidCredentials)
            case .reused: return .failure(.refreshTokenReused)
            case .rotated(let userID, let familyID):
                guard let user = try await users.find(id: userID, logger: logger), !user.disabled else { return .failure(.invalidCredentials) }
                return .success(try await identity.issueTokens(for: user, familyID: familyID, on: connection, logger: logger))
            }
        }
        // The reuse revocation must commit, so the refusal is thrown only after the transaction.
        switch result {
        case .success(let pair): return pair
        case .failure(.invalidCredentials): throw ProblemError.unauthorized("The refresh token is invalid or expired.", code: "invalid_refresh_token")
        case .failure(let error): throw error
        }
    }

    func logoutAll(_ principal: Principal, logger: Logger) async throws {
        let user = try await identity.currentUser(principal, logger: logger)
        try await identity.client.withTransaction(logger: logger) { connection in
            try await users.bumpTokenVersion(id: user.id, on: connection, logger: logger)
            try await identity.sessions.revokeAll(userID: user.id, on: connection, logger: logger)
        }
    }

    func resetPassword(_ body: ResetPasswordRequest, logger: Logger) async throws {
        let hash = try await identity.hasher.hash(body.newPassword)
        try await identity.client.withTransaction(logger: logger) { connection in
            guard let userID = try await identity.emailTokens.consume(body.token, purpose: .resetPassword, on: connection, logger: logger),
                  let user = try await users.setPassword(id: userID, hash: hash, bumpTokenVersion: true, on: connection, logger: logger)
            else { throw IdentityError.invalidToken }
            try await identity.sessions.revokeAll(userID: userID, on: connection, logger: logger)
            try await identity.outbox.publish(IdentityEvent.passwordChanged, PasswordChanged(userId: user.id, email: user.email, name: user.name, via: "reset"),
                                              on: connection, logger: logger)
        }
    }

    /// Changes the password and ends every other session; the caller's own session (its refresh
    /// family, named by the token's `sid`) and access token stay valid.
    func changePassword(_ principal: Principal, _ body: ChangePasswordRequest, logger: Logger) async throws {
        let user = try await identity.currentUser(principal, logger: logger)
        // A stolen access token must not become a password oracle: guesses are throttled like logins.
        let key = "password:change:" + user.id.lowercased
        let wait = try await identity.throttles.admit(key, policy: .account, logger: logger)
        if wait > 0 { throw IdentityError.throttled(retryAfter: wait) }
        guard try await identity.hasher.verify(body.currentPassword, hash: user.passwordHash) else { throw IdentityError.wrongCurrentPassword }
        try await identity.throttles.reset(key, logger: logger)
        let hash = try await identity.hasher.hash(body.newPassword)
        try await identity.client.withTransaction(logger: logger) { connection in
            _ = try await users.setPassword(id: user.id, hash: hash, bumpTokenVersion: false, on: connection, logger: logger)
            try await identity.sessions.revokeAll(userID: user.id, keeping: principal.sessionID, on: connection, logger: logger)
            try await identity.outbox.publish(IdentityEvent.passwordChanged, PasswordChanged(userId: user.id, email: user.email, name: user.name, via: "change"),
                                              on: connection, logger: logger)
        }
    }
}
