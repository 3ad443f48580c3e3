import Foundation
import Logging
import MediaAPI
import OrderAPI
import PlexusKit
import PostgresNIO
import ReviewAPI
import ShopAPI

/// What the review service learns from others' events: purchases from orders (who may review
/// what), shop owners (who may reply), and photo renditions or deletions from media.
struct ReviewSubscriptions: Sendable {
    let outbox: Outbox
    let links: ReviewLinks

    var all: [EventSubscription] {
        [
            .on(OrderEvent.paid) { event, connection, logger in
                try await Self.record(event.data, status: "paid", on: connection, logger: logger)
            },
            .on(OrderEvent.delivered) { event, connection, logger in
                try await Self.record(event.data, status: "delivered", on: connection, logger: logger)
                try await invite(event.data, on: connection, logger: logger)
            },
            .on(OrderEvent.cancelled) { event, connection, logger in
                try await connection.query("DELETE FROM purchases WHERE order_id = \(event.data.orderId) AND status = 'paid'", logger: logger)
            },
            .on(MediaEvent.ready) { event, connection, logger in
                let thumbnails = String(decoding: try JSON.encoder.encode(event.data.thumbnails), as: UTF8.self)
                try await changePhotos(event.data.mediaId, on: connection, logger: logger, """
                    UPDATE review_photos SET thumbnails = \(thumbnails)::jsonb WHERE media_id = \(event.data.mediaId) RETURNING review_id
                    """)
            },
            .on(MediaEvent.deleted) { event, connection, logger in
                try await changePhotos(event.data.mediaId, on: connection, logger: logger, """
                    DELETE FROM review_photos WHERE media_id = \(event.data.mediaId) RETURNING review_id
                    """)
            },
        ] + [ShopEvent.created, ShopEvent.updated].map { type in
            EventSubscription.on(type) { event, connection, logger in
                try await connection.query("""
                    INSERT INTO shops (id, owner_id) VALUES (\(event.data.shopId), \(event.data.ownerId))
                    ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id
                    """, logger: logger)
            }
        }
    }

    /// The order's lines as purchases in `status` (a delivered line stays delivered).
    static func record(_ order: OrderEventData, status: String, on connection: PostgresConnection, logger: Logger) async throws {
        let lines = order.lines
        try await connection.query("""
            INSERT INTO purchases (customer_id, product_id, order_id, shop_id, product_name, status, delivered_at)
            SELECT DISTINCT ON (l.product_id) \(order.customerId), l.product_id, \(order.orderId), l.shop_id, l.name, \(status),
                   CASE WHEN \(status) = 'delivered' THEN \(order.at) END
            FROM unnest(\(lines.map(\.productId))::uuid[], \(lines.map(\.shopId))::uuid[], \(lines.map(\.productName))::text[]) AS l(product_id, shop_id, name)
            ON CONFLICT (customer_id, product_id, order_id) DO UPDATE
                SET status = CASE WHEN purchases.status = 'delivered' THEN 'delivered' ELSE EXCLUDED.status END,
                    delivered_at = coalesce(purchases.delivered_at, EXCLUDED.delivered_at)
            """, logger: logger)
    }

    /// Invites the customer to review the delivered products they have not reviewed.
    func invite(_ order: OrderEventData, on connection: PostgresConnection, logger: Logger) async throws {
        var reviewed = Set<UUID>()
        for try await product in try await connection.query("""
            SELECT product_id FROM reviews WHERE author_id = \(order.customerId) AND product_id = ANY(\(order.lines.map(\.productId))::uuid[])
            """, logger: logger).decode(UUID.self) { reviewed.insert(product) }
        var seen = Set<UUID>()
        let products = order.lines.filter { !reviewed.contains($0.productId) && seen.insert($0.productId).inserted }.map {
            InvitedProduct(productId: $0.productId, productName: $0.productName, reviewUrl: links.productReviews($0.productId))
        }
        guard !products.isEmpty else { return }
        try await outbox.publish(ReviewEvent.invited, ReviewInvitation(customerId: order.customerId, orderNumber: order.number, products: products),
                                 on: connection, logger: logger)
    }

    /// Runs a change of photos of `mediaID` that returns the reviews it touched, then keeps
    /// their photo counts and drops their products' cached pages.
    func changePhotos(_ mediaID: UUID, on connection: PostgresConnection, logger: Logger, _ change: PostgresQuery) async throws {
        var reviews: [UUID] = []
        for try await id in try await connection.query(change, logger: logger).decode(UUID.self) { reviews.append(id) }
        guard !reviews.isEmpty else { return }
        let rows = try await connection.query("""
            UPDATE reviews r SET photo_count = (SELECT count(*) FROM review_photos p WHERE p.review_id = r.id)
            WHERE r.id = ANY(\(reviews)::uuid[]) RETURNING r.product_id
            """, logger: logger)
        for try await product in rows.decode(UUID.self) { try await ReviewCache.notify(product, on: connection, logger: logger) }
    }
}

/// The public addresses the review service writes into e-mails.
struct ReviewLinks: Sendable {
    let base: String

    func productReviews(_ productID: UUID) -> String { "\(base)/api/v1/products/\(productID.uuidString.lowercased())/reviews" }
    func review(_ id: UUID) -> String { "\(base)/api/v1/reviews/\(id.uuidString.lowercased())" }
}
