import Foundation
import Logging
import PlexusKit
import PostgresNIO

/// A stored e-mail and its delivery state.
struct EmailRecord: Codable, Sendable {
    var id: UUID
    var userId: UUID?
    var template: String
    var to: String
    var subject: String
    var text: String
    var html: String
    var transport: String
    var status: String
    var attempts: Int
    var lastError: String?
    var createdAt: Date
    var sentAt: Date?
}

/// Outgoing e-mails.
struct EmailRepository: Sendable {
    let client: DatabaseClient
    static let columns = "id, user_id, template, to_address, subject, text_body, html_body, transport, status, attempts, last_error, created_at, sent_at"

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [EmailRecord] {
        var result: [EmailRecord] = []
        for try await (id, user, template, to, subject, text, html, transport, status, attempts, error, created, sent) in rows.decode(
            (UUID, UUID?, String, String, String, String, String, String, String, Int, String?, Date, Date?).self) {
            result.append(EmailRecord(id: id, userId: user, template: template, to: to, subject: subject, text: text, html: html,
                                      transport: transport, status: status, attempts: attempts, lastError: error, createdAt: created, sentAt: sent))
        }
        return result
    }

    /// Stores a rendered e-mail and enqueues its send job, in the consumer's transaction.
    func queue(_ rendered: EmailTemplates.Rendered, template: String, to: String, userID: UUID?, eventID: UUID?, transport: String,
               on connection: PostgresConnection, logger: Logger) async throws -> UUID {
        let id = UUID.v7()
        try await connection.query("""
            INSERT INTO emails (id, user_id, event_id, template, to_address, subject, text_body, html_body, transport)
            VALUES (\(id), \(userID), \(eventID), \(template), \(to), \(rendered.subject), \(rendered.text), \(rendered.html), \(transport))
            """, logger: logger)
        try await JobQueue.enqueue(SendEmailJob.kind, SendEmailJob.Payload(emailId: id), options: JobOptions(maxAttempts: 8),
                                   on: connection, logger: logger)
        return id
    }

    func find(id: UUID, logger: Logger) async throws -> EmailRecord? {
        try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM emails WHERE id = \(id)", logger: logger)).first
    }

    /// Marks the e-mail sent. With `forgetLinks`, the single-use tokens in its links are removed
    /// from the stored copy: once the mail left, nobody here needs a usable link (the development
    /// mailbox keeps them, since it is where a developer clicks them).
    func markSent(id: UUID, forgetLinks: Bool, logger: Logger) async throws {
        try await client.query("""
            UPDATE emails SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = NULL, updated_at = now(),
                   text_body = CASE WHEN \(forgetLinks) THEN regexp_replace(text_body, 'token=[A-Za-z0-9_-]+', 'token=removed', 'g') ELSE text_body END,
                   html_body = CASE WHEN \(forgetLinks) THEN regexp_replace(html_body, 'token=[A-Za-z0-9_-]+', 'token=removed', 'g') ELSE html_body END
            WHERE id = \(id)
            """, logger: logger)
    }

    func markAttemptFailed(id: UUID, error: String, final: Bool, logger: Logger) async throws {
        try await client.query("""
            UPDATE emails SET attempts = attempts + 1, last_error = \(String(error.prefix(1000))),
                   status = CASE WHEN \(final) THEN 'failed' ELSE status END, updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    func list(userID: UUID, page: PageRequest, logger: Logger) async throws -> [EmailRecord] {
        try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM emails
            WHERE user_id = \(userID) AND (\(page.after)::uuid IS NULL OR id < \(page.after))
            ORDER BY id DESC LIMIT \(page.limit + 1)
            """, logger: logger))
    }

    /// The newest mailbox e-mails, optionally for one recipient.
    func mailbox(to: String?, limit: Int, logger: Logger) async throws -> [EmailRecord] {
        try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM emails
            WHERE transport = 'mailbox' AND status = 'sent' AND (\(to)::text IS NULL OR lower(to_address) = lower(\(to)))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger))
    }
}
