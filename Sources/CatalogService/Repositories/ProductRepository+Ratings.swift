import Foundation
import PlexusKit
import PostgresNIO
import ReviewAPI

extension ProductRepository {
    /// Keeps each product's rating from the review service's summaries: the newest version wins
    /// whatever order deliveries arrive in, and every replica drops the product's cached copies
    /// (listings sorted or filtered by rating included).
    var ratingSubscriptions: [EventSubscription] {
        [EventSubscription.on(ReviewEvent.summaryChanged) { event, connection, logger in
            let summary = event.data
            var changed = false
            for try await _ in try await connection.query("""
                UPDATE products SET rating_count = \(summary.count), rating_sum = \(summary.sum), rating_stars = \(summary.stars),
                                    rating_version = \(summary.version)
                WHERE id = \(summary.productId) AND rating_version < \(summary.version) RETURNING 1
                """, logger: logger) { changed = true }
            if changed { try await CatalogCache.notifyProduct(summary.productId, on: connection, logger: logger) }
        }]
    }
}
