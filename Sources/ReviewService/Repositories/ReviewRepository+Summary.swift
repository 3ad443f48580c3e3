import Foundation
import Logging
import PlexusKit
import PostgresNIO
import ReviewAPI

/// A product's rating summary, kept in the transaction of every change to its reviews.
extension ReviewRepository {
    /// Takes the product's summary row lock (creating the row): every change to a product's
    /// reviews takes it first, so concurrent changes recount one after another and none misses
    /// another's committed review.
    static func lockSummary(_ productID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO summaries (product_id) VALUES (\(productID))
            ON CONFLICT (product_id) DO UPDATE SET version = summaries.version
            """, logger: logger)
    }

    /// Recounts the product's published ratings; when they changed, publishes
    /// `review.summary_changed` and tells every replica to drop the product's cached pages.
    func recount(_ productID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            WITH counted AS (
                SELECT ARRAY[count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
                             count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)]::int[] AS stars
                FROM reviews WHERE product_id = \(productID) AND status = 'published')
            UPDATE summaries s SET stars = counted.stars, version = s.version + 1
            FROM counted WHERE s.product_id = \(productID) AND s.stars <> counted.stars
            RETURNING s.stars, s.version
            """, logger: logger)
        for try await (stars, version) in rows.decode(([Int], Int).self) {
            try await outbox.publish(ReviewEvent.summaryChanged, ReviewSummaryChanged(productId: productID, summary: ReviewSummary(stars: stars),
                                                                                      sum: ReviewSummary.sum(ofStars: stars), version: version),
                                     on: connection, logger: logger)
        }
        try await ReviewCache.notify(productID, on: connection, logger: logger)
    }

    /// The product's summary (zeros for a product without reviews).
    func summary(_ productID: UUID, logger: Logger) async throws -> ReviewSummary {
        for try await stars in try await client.query("SELECT stars FROM summaries WHERE product_id = \(productID)", logger: logger).decode([Int].self) {
            return ReviewSummary(stars: stars)
        }
        return ReviewSummary(stars: [])
    }
}
