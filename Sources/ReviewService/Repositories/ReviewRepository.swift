import Foundation
import Logging
import MediaAPI
import PlexusKit
import PostgresNIO
import ReviewAPI

/// Reviews, their photos and the products' summaries.
struct ReviewRepository: Sendable {
    let client: DatabaseClient
    let outbox: Outbox

    /// What the caller bought of a product, from the purchase projection.
    enum Purchase: Equatable {
        case none
        case paid
        case delivered(shopID: UUID, productName: String)
    }

    func purchase(customer: UUID, product: UUID, logger: Logger) async throws -> Purchase {
        let rows = try await client.query("""
            SELECT status, shop_id, product_name FROM purchases WHERE customer_id = \(customer) AND product_id = \(product)
            ORDER BY status = 'delivered' DESC LIMIT 1
            """, logger: logger)
        for try await (status, shop, name) in rows.decode((String, UUID, String).self) {
            return status == "delivered" ? .delivered(shopID: shop, productName: name) : .paid
        }
        return .none
    }

    /// A second review of the same product by the same customer.
    static let alreadyReviewed = ProblemError.conflict("already_reviewed", "You have reviewed this product; edit that review instead.")

    /// The caller's review of a product, if they wrote one.
    func review(by author: UUID, of product: UUID, logger: Logger) async throws -> UUID? {
        for try await id in try await client.query("SELECT id FROM reviews WHERE author_id = \(author) AND product_id = \(product)", logger: logger)
            .decode(UUID.self) { return id }
        return nil
    }

    /// A new published review; the product's summary follows in the same transaction.
    func create(product: UUID, shopID: UUID, productName: String, author: UUID, authorName: String, _ request: CreateReviewRequest,
                photos: [(UUID, MediaThumbnails?)], logger: Logger) async throws -> ReviewRecord {
        let id = UUID.v7()
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await Self.lockSummary(product, on: connection, logger: logger)
                try await connection.query("""
                    INSERT INTO reviews (id, product_id, shop_id, product_name, author_id, author_name, rating, title, body)
                    VALUES (\(id), \(product), \(shopID), \(productName), \(author), \(authorName), \(request.rating),
                            \(request.title.trimmed), \(request.body.trimmed))
                    """, logger: logger)
                try await Self.replacePhotos(of: id, with: photos, on: connection, logger: logger)
                try await recount(product, on: connection, logger: logger)
                return try await Self.find(id, on: connection, logger: logger)!
            }
        } catch where ConstraintViolation.details(of: error)?.constraint == "reviews_author_product_key" {
            throw Self.alreadyReviewed
        }
    }

    func find(_ id: UUID, logger: Logger) async throws -> ReviewRecord? {
        try await ReviewRecord.decode(client.query("SELECT \(unescaped: ReviewRecord.columns) FROM reviews r WHERE r.id = \(id)", logger: logger)).first
    }

    static func find(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ReviewRecord? {
        try await ReviewRecord.decode(connection.query("SELECT \(unescaped: ReviewRecord.columns) FROM reviews r WHERE r.id = \(id)", logger: logger)).first
    }

    /// Applies the author's change (`photos` nil: the photos stay); nil when `author` wrote no review `id`.
    func update(_ id: UUID, author: UUID, _ request: UpdateReviewRequest, photos: [(UUID, MediaThumbnails?)]?, logger: Logger) async throws -> ReviewRecord? {
        try await client.withTransaction(logger: logger) { connection in
            guard let product = try await Self.product(of: id, author: author, on: connection, logger: logger) else { return nil }
            try await Self.lockSummary(product, on: connection, logger: logger)
            try await connection.query("""
                UPDATE reviews SET rating = coalesce(\(request.rating), rating), title = coalesce(\(request.title?.trimmed), title),
                                   body = coalesce(\(request.body?.trimmed), body), updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
            if let photos { try await Self.replacePhotos(of: id, with: photos, on: connection, logger: logger) }
            try await recount(product, on: connection, logger: logger)
            return try await Self.find(id, on: connection, logger: logger)
        }
    }

    /// Deletes the author's review; false when `author` wrote no review `id`.
    func delete(_ id: UUID, author: UUID, logger: Logger) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            guard let product = try await Self.product(of: id, author: author, on: connection, logger: logger) else { return false }
            try await Self.lockSummary(product, on: connection, logger: logger)
            try await connection.query("DELETE FROM reviews WHERE id = \(id)", logger: logger)
            try await recount(product, on: connection, logger: logger)
            return true
        }
    }

    static func product(of id: UUID, author: UUID, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        for try await product in try await connection.query("SELECT product_id FROM reviews WHERE id = \(id) AND author_id = \(author)", logger: logger)
            .decode(UUID.self) { return product }
        return nil
    }

    static func replacePhotos(of id: UUID, with photos: [(UUID, MediaThumbnails?)], on connection: PostgresConnection, logger: Logger) async throws {
        let thumbnails = try photos.map { photo in try photo.1.map { String(decoding: try JSON.encoder.encode($0), as: UTF8.self) } ?? "null" }
        try await connection.query("""
            WITH removed AS (DELETE FROM review_photos WHERE review_id = \(id)),
                 added AS (INSERT INTO review_photos (review_id, media_id, position, thumbnails)
                           SELECT \(id), p.media_id, p.position - 1, p.thumbnails::jsonb
                           FROM unnest(\(photos.map(\.0))::uuid[], \(thumbnails)::text[]) WITH ORDINALITY AS p(media_id, thumbnails, position))
            UPDATE reviews SET photo_count = \(photos.count) WHERE id = \(id)
            """, logger: logger)
    }

    /// A page of a product's published reviews in the query's order.
    func list(product: UUID, _ query: ReviewListQuery, logger: Logger) async throws -> [ReviewRecord] {
        let key = switch query.sort {
        case .newest: "0::int" // a bare 0 would name a column position
        case .helpful: "r.helpful_count"
        case .rating: "r.rating::int"
        }
        let after = query.cursor
        return try await ReviewRecord.decode(client.query("""
            SELECT \(unescaped: ReviewRecord.columns) FROM reviews r
            WHERE r.product_id = \(product) AND r.status = 'published'
              AND (cardinality(\(query.stars)::int[]) = 0 OR r.rating = ANY(\(query.stars)::int[]))
              AND (NOT \(query.withPhotos) OR r.photo_count > 0)
              AND (\(after?.id)::uuid IS NULL OR (\(unescaped: key), r.id) < (\(after?.key ?? 0), \(after?.id)))
            ORDER BY \(unescaped: key) DESC, r.id DESC LIMIT \(query.limit + 1)
            """, logger: logger))
    }

    /// The moderation queue, newest first.
    func queue(reported: Bool?, status: ReviewStatus?, page: PageRequest, logger: Logger) async throws -> [ReviewRecord] {
        try await ReviewRecord.decode(client.query("""
            SELECT \(unescaped: ReviewRecord.columns) FROM reviews r
            WHERE (\(reported)::boolean IS NULL OR (r.open_reports > 0) = \(reported))
              AND (\(status?.rawValue)::text IS NULL OR r.status = \(status?.rawValue))
              AND (\(page.after)::uuid IS NULL OR r.id < \(page.after))
            ORDER BY r.id DESC LIMIT \(page.limit + 1)
            """, logger: logger))
    }
}

extension String {
    /// Without the surrounding white space (texts are stored trimmed).
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
