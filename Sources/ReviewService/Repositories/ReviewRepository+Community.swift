import Foundation
import Logging
import PlexusKit
import PostgresNIO
import ReviewAPI

/// What others do with a review: helpful votes, reports, the seller's reply and moderation.
extension ReviewRepository {
    /// Why a vote or report was refused.
    enum Refusal: Error, Equatable {
        case notFound, ownReview, repeated
    }

    /// Counts `user`'s helpful vote once. The vote's key refuses a second one, also when the same
    /// user votes twice at once.
    func vote(_ id: UUID, user: UUID, logger: Logger) async throws -> Result<ReviewRecord, Refusal> {
        try await client.withTransaction(logger: logger) { connection in
            guard let author = try await Self.author(of: id, on: connection, logger: logger) else { return .failure(.notFound) }
            guard author != user else { return .failure(.ownReview) }
            var counted = false
            for try await _ in try await connection.query("""
                INSERT INTO helpful_votes (review_id, user_id) VALUES (\(id), \(user)) ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger) { counted = true }
            guard counted else { return .failure(.repeated) }
            try await connection.query("UPDATE reviews SET helpful_count = helpful_count + 1 WHERE id = \(id)", logger: logger)
            return try await changed(id, on: connection, logger: logger)
        }
    }

    /// Takes `user`'s vote back (nothing when they had none).
    func unvote(_ id: UUID, user: UUID, logger: Logger) async throws -> ReviewRecord? {
        try await client.withTransaction(logger: logger) { connection in
            guard try await Self.author(of: id, on: connection, logger: logger) != nil else { return nil }
            try await connection.query("""
                WITH removed AS (DELETE FROM helpful_votes WHERE review_id = \(id) AND user_id = \(user) RETURNING 1)
                UPDATE reviews SET helpful_count = helpful_count - (SELECT count(*) FROM removed) WHERE id = \(id)
                """, logger: logger)
            return try await changed(id, on: connection, logger: logger).get()
        }
    }

    /// Records `user`'s report once.
    func report(_ id: UUID, user: UUID, reason: String, logger: Logger) async throws -> Refusal? {
        try await client.withTransaction(logger: logger) { connection in
            guard let author = try await Self.author(of: id, on: connection, logger: logger) else { return .notFound }
            guard author != user else { return .ownReview }
            var counted = false
            for try await _ in try await connection.query("""
                INSERT INTO reports (review_id, user_id, reason) VALUES (\(id), \(user), \(reason.trimmed)) ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger) { counted = true }
            guard counted else { return .repeated }
            try await connection.query("UPDATE reviews SET open_reports = open_reports + 1 WHERE id = \(id)", logger: logger)
            return nil
        }
    }

    /// The author of a published review (hidden ones are not there for voters and reporters).
    static func author(of id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        for try await author in try await connection.query("SELECT author_id FROM reviews WHERE id = \(id) AND status = 'published'", logger: logger)
            .decode(UUID.self) { return author }
        return nil
    }

    /// The review after a change that the public lists show: their cached pages go.
    func changed(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Result<ReviewRecord, Refusal> {
        guard let record = try await Self.find(id, on: connection, logger: logger) else { return .failure(.notFound) }
        try await ReviewCache.notify(record.productID, on: connection, logger: logger)
        return .success(record)
    }

    /// What a reply attempt found.
    enum ReplyOutcome {
        case replied(ReviewRecord)
        case notFound, notYourProduct, exists, missing
    }

    /// Writes (`edit` false: only when there is none) or changes the reply of the product's
    /// seller `seller`; the first reply tells the author.
    func reply(_ id: UUID, seller: UUID, body: String, edit: Bool, reviewURL: String, logger: Logger) async throws -> ReplyOutcome {
        try await client.withTransaction(logger: logger) { connection in
            var found: (owner: UUID?, hasReply: Bool)?
            for try await row in try await connection.query("""
                SELECT s.owner_id, r.reply_body IS NOT NULL FROM reviews r LEFT JOIN shops s ON s.id = r.shop_id
                WHERE r.id = \(id) AND r.status = 'published' FOR UPDATE OF r
                """, logger: logger).decode((UUID?, Bool).self) { found = (row.0, row.1) }
            guard let found else { return .notFound }
            guard found.owner == seller else { return .notYourProduct }
            if !edit && found.hasReply { return .exists }
            if edit && !found.hasReply { return .missing }
            try await connection.query("""
                UPDATE reviews SET reply_body = \(body.trimmed), reply_at = coalesce(reply_at, now()),
                                   reply_edited_at = CASE WHEN \(edit) THEN now() END
                WHERE id = \(id)
                """, logger: logger)
            let record = try await changed(id, on: connection, logger: logger).get()
            if !edit {
                try await outbox.publish(ReviewEvent.replied, ReviewNotice(reviewId: id, authorId: record.authorID, productName: record.productName,
                                                                           text: record.reply?.body ?? "", reviewUrl: reviewURL), on: connection, logger: logger)
            }
            return .replied(record)
        }
    }

    /// Hides (with `reason`) or publishes a review, settles its open reports, and recounts the
    /// product's summary; hiding tells the author.
    func moderate(_ id: UUID, _ request: ModerationRequest, reviewURL: String, logger: Logger) async throws -> ReviewRecord? {
        try await client.withTransaction(logger: logger) { connection in
            var product: UUID?
            for try await row in try await connection.query("SELECT product_id FROM reviews WHERE id = \(id)", logger: logger).decode(UUID.self) { product = row }
            guard let product else { return nil }
            try await Self.lockSummary(product, on: connection, logger: logger)
            var wasHidden = false
            for try await status in try await connection.query("SELECT status FROM reviews WHERE id = \(id)", logger: logger).decode(String.self) {
                wasHidden = status == ReviewStatus.hidden.rawValue
            }
            let hide = request.status == .hidden
            try await connection.query("""
                UPDATE reviews SET status = \(request.status.rawValue), open_reports = 0, updated_at = now(),
                                   moderation_reason = CASE WHEN \(hide) THEN \(request.reason?.trimmed) END,
                                   moderated_at = CASE WHEN \(hide) THEN now() END
                WHERE id = \(id)
                """, logger: logger)
            try await connection.query("UPDATE reports SET settled_at = now() WHERE review_id = \(id) AND settled_at IS NULL", logger: logger)
            try await recount(product, on: connection, logger: logger)
            guard let record = try await Self.find(id, on: connection, logger: logger) else { return nil }
            if hide && !wasHidden {
                try await outbox.publish(ReviewEvent.hidden, ReviewNotice(reviewId: id, authorId: record.authorID, productName: record.productName,
                                                                          text: record.moderation?.reason ?? "", reviewUrl: reviewURL),
                                         on: connection, logger: logger)
            }
            return record
        }
    }
}
