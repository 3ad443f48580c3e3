import Foundation
import Logging
import PlexusKit
import PostgresNIO

/// Refresh tokens: opaque, stored as SHA-256, single use, grouped into families (one family per
/// sign-in). Presenting a spent token revokes its whole family: someone replayed a stolen token.
struct SessionRepository: Sendable {
    let client: DatabaseClient

    enum RotationResult: Sendable {
        case rotated(userID: UUID, familyID: UUID)
        case reused(userID: UUID)
        case invalid
    }

    /// Stores a new refresh token in `familyID` and returns its plain value.
    func issue(userID: UUID, familyID: UUID, ttl: Int, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let token = RandomToken.urlSafe(bytes: 32)
        try await connection.query("""
            INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
            VALUES (\(UUID.v7()), \(familyID), \(userID), \(RandomToken.sha256Hex(token)), now() + make_interval(secs => \(Double(ttl))))
            """, logger: logger)
        return token
    }

    /// Spends `token` with a conditional update, so two concurrent uses cannot both succeed.
    func spend(_ token: String, on connection: PostgresConnection, logger: Logger) async throws -> RotationResult {
        let hash = RandomToken.sha256Hex(token)
        let spent = try await connection.query("""
            UPDATE refresh_tokens SET spent_at = now()
            WHERE token_hash = \(hash) AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            RETURNING user_id, family_id
            """, logger: logger)
        for try await (userID, familyID) in spent.decode((UUID, UUID).self) { return .rotated(userID: userID, familyID: familyID) }
        let known = try await connection.query("""
            SELECT user_id, family_id, spent_at IS NOT NULL FROM refresh_tokens WHERE token_hash = \(hash)
            """, logger: logger)
        for try await (userID, familyID, wasSpent) in known.decode((UUID, UUID, Bool).self) where wasSpent {
            try await revokeFamily(familyID, on: connection, logger: logger)
            return .reused(userID: userID)
        }
        return .invalid
    }

    func revokeFamily(_ familyID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = \(familyID) AND revoked_at IS NULL", logger: logger)
    }

    /// Revokes the family of `token` if it belongs to `userID`.
    func revoke(token: String, userID: UUID, logger: Logger) async throws {
        try await client.query("""
            UPDATE refresh_tokens SET revoked_at = now()
            WHERE revoked_at IS NULL AND user_id = \(userID)
              AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = \(RandomToken.sha256Hex(token)))
            """, logger: logger)
    }

    /// Revokes every session of a user except `keeping` (a family id).
    func revokeAll(userID: UUID, keeping: UUID? = nil, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE refresh_tokens SET revoked_at = now()
            WHERE user_id = \(userID) AND revoked_at IS NULL AND (\(keeping)::uuid IS NULL OR family_id <> \(keeping))
            """, logger: logger)
    }
}

/// Single-use e-mail tokens (verification, password reset), stored as SHA-256.
struct EmailTokenRepository: Sendable {
    enum Purpose: String, Sendable, Codable {
        case verifyEmail = "verify_email"
        case resetPassword = "reset_password"
    }

    /// Issues a token valid for `ttl` seconds; earlier unused tokens of the same purpose stop working.
    func issue(userID: UUID, purpose: Purpose, ttl: TimeInterval, on connection: PostgresConnection, logger: Logger) async throws -> (token: String, expiresAt: Date) {
        try await connection.query("""
            UPDATE email_tokens SET used_at = now() WHERE user_id = \(userID) AND purpose = \(purpose.rawValue) AND used_at IS NULL
            """, logger: logger)
        let token = RandomToken.urlSafe(bytes: 32)
        let expiresAt = Date().addingTimeInterval(ttl)
        try await connection.query("""
            INSERT INTO email_tokens (id, user_id, purpose, token_hash, expires_at)
            VALUES (\(UUID.v7()), \(userID), \(purpose.rawValue), \(RandomToken.sha256Hex(token)), \(expiresAt))
            """, logger: logger)
        return (token, expiresAt)
    }

    /// Consumes a token atomically; the user id when it was valid, unused and unexpired.
    func consume(_ token: String, purpose: Purpose, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        let rows = try await connection.query("""
            UPDATE email_tokens SET used_at = now()
            WHERE token_hash = \(RandomToken.sha256Hex(token)) AND purpose = \(purpose.rawValue) AND used_at IS NULL AND expires_at > now()
            RETURNING user_id
            """, logger: logger)
        for try await userID in rows.decode(UUID.self) { return userID }
        return nil
    }
}

/// Failure counters with blocking windows, shared by every replica through the database.
struct ThrottleRepository: Sendable {
    let client: DatabaseClient

    /// Counts an attempt before it runs, in one statement, so parallel attempts cannot all pass
    /// the check before any failure is recorded: returns the seconds to wait (the attempt is then
    /// refused and not counted), or 0 when admitted. The attempt that reaches the policy's limit
    /// sets the block for those after it. A successful attempt gives its count back (``release``)
    /// or clears the key (``reset``).
    func admit(_ key: String, policy: ThrottlePolicy, logger: Logger) async throws -> Int {
        let rows = try await client.query("""
            WITH counted AS (
                INSERT INTO throttles (key, failures, updated_at) VALUES (\(key), 1, now())
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN throttles.blocked_until > now() THEN throttles.failures
                                    WHEN throttles.updated_at < now() - interval '1 hour' THEN 1
                                    ELSE throttles.failures + 1 END,
                    updated_at = CASE WHEN throttles.blocked_until > now() THEN throttles.updated_at ELSE now() END
                RETURNING failures, blocked_until
            )
            SELECT failures, CASE WHEN blocked_until > now() THEN CEIL(EXTRACT(EPOCH FROM blocked_until - now()))::int ELSE 0 END FROM counted
            """, logger: logger)
        var (failures, wait) = (1, 0)
        for try await (count, seconds) in rows.decode((Int, Int).self) { (failures, wait) = (count, seconds) }
        if wait > 0 { return max(1, wait) }
        let block = policy.blockSeconds(afterFailures: failures)
        if block > 0 {
            try await client.query("""
                UPDATE throttles SET blocked_until = greatest(coalesce(blocked_until, now()), now() + make_interval(secs => \(Double(block))))
                WHERE key = \(key)
                """, logger: logger)
        }
        // Attempts counted while the block was being set wait too: at most free + 1 ever run.
        return failures > policy.freeAttempts + 1 ? max(1, block) : 0
    }

    /// Gives back one admitted attempt that succeeded.
    func release(_ key: String, logger: Logger) async throws {
        try await client.query("UPDATE throttles SET failures = greatest(failures - 1, 0) WHERE key = \(key)", logger: logger)
    }

    func reset(_ key: String, logger: Logger) async throws {
        try await client.query("DELETE FROM throttles WHERE key = \(key)", logger: logger)
    }
}
