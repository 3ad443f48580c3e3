import Foundation
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO

/// A stored user.
struct UserRecord: Sendable {
    var id: UUID
    var email: String
    var name: String
    var passwordHash: String
    var roles: [String]
    var emailVerified: Bool
    var disabled: Bool
    var tokenVersion: Int
    var createdAt: Date
    var updatedAt: Date

    var roleSet: [Role] { roles.compactMap(Role.init(rawValue:)).sorted() }

    var dto: UserDTO {
        UserDTO(id: id, email: email, name: name, roles: roleSet, emailVerified: emailVerified, disabled: disabled,
                createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// Users in Postgres.
struct UserRepository: Sendable {
    let client: DatabaseClient

    static let columns = "id, email, name, password_hash, roles, email_verified, disabled, token_version, created_at, updated_at"

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [UserRecord] {
        var users: [UserRecord] = []
        for try await row in rows { users.append(try record(row)) }
        return users
    }

    /// A row of ``columns``.
    static func record(_ row: PostgresRow) throws -> UserRecord {
        let (id, email, name, hash, roles, verified, disabled, version, created, updated) =
            try row.decode((UUID, String, String, String, [String], Bool, Bool, Int, Date, Date).self)
        return UserRecord(id: id, email: email, name: name, passwordHash: hash, roles: roles, emailVerified: verified,
                          disabled: disabled, tokenVersion: version, createdAt: created, updatedAt: updated)
    }

    /// Inserts a user; `nil` when the e-mail is taken (the unique index decides, so concurrent
    /// registrations of one address produce exactly one account).
    func insert(email: String, name: String, passwordHash: String, roles: [Role], verified: Bool, on connection: PostgresConnection, logger: Logger) async throws -> UserRecord? {
        let rows = try await connection.query("""
            INSERT INTO users (id, email, name, password_hash, roles, email_verified)
            VALUES (\(UUID.v7()), \(Self.normalized(email)), \(name), \(passwordHash), \(roles.map(\.rawValue)), \(verified))
            ON CONFLICT ((lower(email))) DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        return try await Self.decode(rows).first
    }

    /// The user of `id`: a prepared statement, since every signed-in request to identity reads it
    /// (`users/me` is this one statement).
    func find(id: UUID, logger: Logger) async throws -> UserRecord? {
        try await client.execute(UserByID(parameter: id), logger: logger).rows.first
    }

    /// An e-mail address as stored and looked up: trimmed, NFKC-normalised and case-folded, so
    /// `ｈｘ@example.com`, `HX@example.com` and `hx@example.com` are one account.
    static func normalized(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive], locale: nil).precomposedStringWithCompatibilityMapping
    }

    func find(email: String, logger: Logger) async throws -> UserRecord? {
        try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM users WHERE lower(email) = lower(\(Self.normalized(email)))", logger: logger)).first
    }

    func updateName(id: UUID, name: String, logger: Logger) async throws -> UserRecord? {
        try await Self.decode(client.query("""
            UPDATE users SET name = \(name), updated_at = now() WHERE id = \(id) RETURNING \(unescaped: Self.columns)
            """, logger: logger)).first
    }

    func markVerified(id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE users SET email_verified = true, updated_at = now() WHERE id = \(id)", logger: logger)
    }

    /// Sets a new password hash and, when `bumpTokenVersion`, invalidates every access token issued so far.
    func setPassword(id: UUID, hash: String, bumpTokenVersion: Bool, on connection: PostgresConnection, logger: Logger) async throws -> UserRecord? {
        try await Self.decode(connection.query("""
            UPDATE users SET password_hash = \(hash), token_version = token_version + \(bumpTokenVersion ? 1 : 0), updated_at = now()
            WHERE id = \(id) RETURNING \(unescaped: Self.columns)
            """, logger: logger)).first
    }

    func bumpTokenVersion(id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE users SET token_version = token_version + 1, updated_at = now() WHERE id = \(id)", logger: logger)
    }

    func adminUpdate(id: UUID, roles: [Role]?, disabled: Bool?, on connection: PostgresConnection, logger: Logger) async throws -> UserRecord? {
        try await Self.decode(connection.query("""
            UPDATE users SET roles = COALESCE(\(roles?.map(\.rawValue)), roles), disabled = COALESCE(\(disabled), disabled),
                   -- disabling, or taking a role away, ends every token issued so far
                   token_version = token_version + CASE WHEN (\(disabled ?? false) AND NOT disabled)
                       OR (\(roles?.map(\.rawValue))::text[] IS NOT NULL AND NOT (\(roles?.map(\.rawValue))::text[] @> roles)) THEN 1 ELSE 0 END,
                   updated_at = now()
            WHERE id = \(id) RETURNING \(unescaped: Self.columns)
            """, logger: logger)).first
    }

    func search(query: String?, page: PageRequest, logger: Logger) async throws -> [UserRecord] {
        let pattern = query.map(LikePattern.containing)
        return try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM users
            WHERE (\(pattern)::text IS NULL OR email ILIKE \(pattern) OR name ILIKE \(pattern))
              AND (\(page.after)::uuid IS NULL OR id > \(page.after))
            ORDER BY id LIMIT \(page.limit + 1)
            """, logger: logger))
    }
}

/// A user by id, parsed and planned once per connection.
struct UserByID: OneParameterStatement {
    static let sql = "SELECT \(UserRepository.columns) FROM users WHERE id = $1"
    var parameter: UUID

    func decodeRow(_ row: PostgresRow) throws -> UserRecord {
        try UserRepository.record(row)
    }
}
