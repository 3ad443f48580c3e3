import CatalogAPI
import Foundation
import OrderAPI
import Logging
import PlexusKit
import PostgresNIO

/// Stock held for orders. Every change of `reserved`/`on_hand` is a conditional update, so
/// `0 ≤ reserved ≤ on_hand` holds under any concurrency (and the table's CHECK backs it up).
struct ReservationRepository: Sendable {
    let client: DatabaseClient

    /// Holds every line or nothing. Repeating the call for the same order returns the existing
    /// reservation when the lines match, and 409 when they differ.
    func reserve(_ request: ReserveRequest, hold: Int, logger: Logger) async throws -> ReservationDTO {
        let lines = ReservationPlan.merge(request.lines)
        return try await client.withTransaction(logger: logger) { connection in
            let created = try await connection.query("""
                INSERT INTO reservations (order_id, expires_at) VALUES (\(request.orderId), now() + make_interval(secs => \(Double(hold))))
                ON CONFLICT (order_id) DO NOTHING RETURNING order_id
                """, logger: logger)
            var fresh = false
            for try await _ in created { fresh = true }
            guard fresh else {
                guard let existing = try await load(request.orderId, connection, logger: logger), ReservationPlan.sameLines(existing.lines, lines)
                else { throw CatalogError.reservationMismatch }
                return existing
            }
            try await lockProducts(ofVariants: lines.map(\.variantId), connection, logger: logger)
            var short: [UUID] = []
            var stillInStock: [UUID: Bool] = [:]
            for line in lines {
                let rows = try await connection.query("""
                    UPDATE variants v SET reserved = v.reserved + \(line.quantity), updated_at = now() FROM products p
                    WHERE v.id = \(line.variantId) AND p.id = v.product_id AND p.status = 'published' AND v.on_hand - v.reserved >= \(line.quantity)
                    RETURNING v.product_id, v.on_hand - v.reserved
                    """, logger: logger)
                var held = false
                for try await (product, left) in rows.decode((UUID, Int).self) {
                    held = true
                    // units were available before (they were just taken); if some are left the product
                    // is in stock before and after, whatever other variants do meanwhile
                    stillInStock[product] = (stillInStock[product] ?? false) || left > 0
                }
                if !held { short.append(line.variantId) }
            }
            if !short.isEmpty { throw try await refusal(for: short, connection, logger: logger) }
            try await connection.query("""
                INSERT INTO reservation_lines (order_id, variant_id, quantity, product_id, product_name, sku, options, shop_id, unit_price, currency)
                SELECT \(request.orderId), l.variant_id, l.quantity, p.id, p.name, v.sku, v.options, p.shop_id, v.price, p.currency
                FROM unnest(\(lines.map(\.variantId))::uuid[], \(lines.map(\.quantity))::int[]) AS l(variant_id, quantity)
                JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id
                """, logger: logger)
            for (product, inStock) in stillInStock {
                try await CatalogCache.notifyProduct(product, listings: .unitsMoved(inStockThroughout: inStock), on: connection, logger: logger)
            }
            return try await load(request.orderId, connection, logger: logger)!
        }
    }

    /// Locks the products whose variants a stock change is about to touch, in id order, before any
    /// variant: a variant whose availability flips moves its product's in-stock count (a trigger),
    /// and a seller's change locks the product first too. Taking the product after the variant
    /// deadlocked with a seller restocking that variant (a 503 for one of them).
    private func lockProducts(ofVariants variants: [UUID], _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            SELECT 1 FROM products WHERE id IN (SELECT product_id FROM variants WHERE id = ANY(\(variants)::uuid[])) ORDER BY id FOR NO KEY UPDATE
            """, logger: logger)
    }

    /// ``lockProducts(ofVariants:_:logger:)`` for the lines of reservations.
    private func lockProducts(ofOrders orders: [UUID], _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            SELECT 1 FROM products WHERE id IN (SELECT product_id FROM reservation_lines WHERE order_id = ANY(\(orders)::uuid[])) ORDER BY id FOR NO KEY UPDATE
            """, logger: logger)
    }

    /// 422 when some variants are unknown or not for sale, otherwise 409 for missing stock.
    private func refusal(for ids: [UUID], _ connection: PostgresConnection, logger: Logger) async throws -> CatalogError {
        let rows = try await connection.query("""
            SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = ANY(\(ids)::uuid[]) AND p.status = 'published'
            """, logger: logger)
        var purchasable = Set<UUID>()
        for try await id in rows.decode(UUID.self) { purchasable.insert(id) }
        let unknown = ids.filter { !purchasable.contains($0) }
        return unknown.isEmpty ? .insufficientStock(ids) : .notPurchasable(unknown)
    }

    /// Turns held units into sold ones: they leave both `reserved` and `on_hand`. Idempotent.
    func commit(orderID: UUID, logger: Logger) async throws -> ReservationDTO? {
        try await client.withTransaction(logger: logger) { try await settle(orderID: orderID, to: .committed, on: $0, logger: logger) }
    }

    /// Gives held units back. Idempotent; a committed reservation cannot be released (409).
    func release(orderID: UUID, logger: Logger) async throws -> ReservationDTO? {
        try await client.withTransaction(logger: logger) { try await settle(orderID: orderID, to: .released, on: $0, logger: logger) }
    }

    /// Moves a reservation to `target` on `connection` (inside the caller's transaction): held →
    /// committed (sold) or released, committed → returned (back on hand). Repeating a move is harmless.
    func settle(orderID: UUID, to target: ReservationStatus, on connection: PostgresConnection, logger: Logger) async throws -> ReservationDTO? {
        let rows = try await connection.query("SELECT status FROM reservations WHERE order_id = \(orderID) FOR UPDATE", logger: logger)
        var current: ReservationStatus?
        for try await status in rows.decode(String.self) { current = ReservationStatus(rawValue: status) }
        let stock: String
        switch (current, target) {
        case (nil, _): return nil
        case (.reserved?, .committed): stock = "on_hand = v.on_hand - l.quantity, reserved = v.reserved - l.quantity"
        case (.reserved?, .released): stock = "reserved = v.reserved - l.quantity"
        case (.committed?, .returned): stock = "on_hand = v.on_hand + l.quantity"
        case (.committed?, .committed), (.released?, .released), (.expired?, .released), (.returned?, .returned):
            return try await load(orderID, connection, logger: logger) // already where the caller wants it
        case (.committed?, _): throw CatalogError.reservationSettled(.committed)
        case (.released?, _): throw CatalogError.reservationSettled(.released)
        case (.expired?, _): throw CatalogError.reservationSettled(.expired)
        case (.returned?, _): throw CatalogError.reservationSettled(.returned)
        case (.reserved?, _): throw CatalogError.reservationSettled(.released)
        }
        try await lockProducts(ofOrders: [orderID], connection, logger: logger)
        let products = try await connection.query("""
            UPDATE variants v SET \(unescaped: stock), updated_at = now() FROM reservation_lines l
            WHERE l.order_id = \(orderID) AND v.id = l.variant_id RETURNING v.product_id, v.on_hand - v.reserved - l.quantity
            """, logger: logger)
        // Units available before a release or a return: the change left the product in stock before
        // and after when one of its variants had some (a commit moves none: held units become sold).
        var inStockBefore: [UUID: Bool] = [:]
        for try await (product, before) in products.decode((UUID, Int).self) { inStockBefore[product] = (inStockBefore[product] ?? false) || before > 0 }
        try await connection.query("UPDATE reservations SET status = \(target.rawValue), updated_at = now() WHERE order_id = \(orderID)", logger: logger)
        if target == .committed || target == .returned {
            // the `bestSelling` order: units sold per product, less what came back
            let sign = target == .committed ? 1 : -1
            try await connection.query("""
                UPDATE products p SET sold_count = greatest(p.sold_count + \(sign) * s.units, 0)
                FROM (SELECT product_id, sum(quantity)::bigint AS units FROM reservation_lines WHERE order_id = \(orderID) GROUP BY product_id) s
                WHERE p.id = s.product_id
                """, logger: logger)
        }
        for (product, inStock) in inStockBefore {
            let effect: CatalogCache.ListingEffect = switch target {
            case .committed: .sold
            case .returned: inStock ? .sold : .all
            default: .unitsMoved(inStockThroughout: inStock)
            }
            try await CatalogCache.notifyProduct(product, listings: effect, on: connection, logger: logger)
        }
        return try await load(orderID, connection, logger: logger)
    }

    /// The stock side of order events: a paid order's units are sold; a cancelled order's held
    /// units are released and its sold units return (a reservation that lapsed meanwhile is left).
    var subscriptions: [EventSubscription] {
        [
            .on(OrderEvent.paid) { event, connection, logger in
                do {
                    _ = try await settle(orderID: event.data.orderId, to: .committed, on: connection, logger: logger)
                } catch let error as CatalogError {
                    logger.error("a paid order's reservation could not be committed", metadata: ["order": .string(event.data.orderId.uuidString),
                                                                                                  "error": .string("\(error.problem.code)")])
                }
            },
            .on(OrderEvent.cancelled) { event, connection, logger in
                let rows = try await connection.query("SELECT status FROM reservations WHERE order_id = \(event.data.orderId)", logger: logger)
                var current: String?
                for try await status in rows.decode(String.self) { current = status }
                switch current {
                case "reserved": _ = try await settle(orderID: event.data.orderId, to: .released, on: connection, logger: logger)
                case "committed": _ = try await settle(orderID: event.data.orderId, to: .returned, on: connection, logger: logger)
                default: break
                }
            },
        ]
    }

    /// Returns the units of lapsed reservations (a batch per call); returns how many lapsed.
    func expire(limit: Int = 500, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            let due = try await connection.query("""
                SELECT order_id FROM reservations WHERE status = 'reserved' AND expires_at <= now()
                ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var orders: [UUID] = []
            for try await order in due.decode(UUID.self) { orders.append(order) }
            guard !orders.isEmpty else { return 0 }
            try await lockProducts(ofOrders: orders, connection, logger: logger)
            let rows = try await connection.query("""
                WITH lapsed AS (SELECT unnest(\(orders)::uuid[]) AS order_id), marked AS (
                    UPDATE reservations r SET status = 'expired', updated_at = now() FROM lapsed WHERE r.order_id = lapsed.order_id RETURNING r.order_id
                ), returned AS (
                    UPDATE variants v SET reserved = v.reserved - s.quantity, updated_at = now()
                    FROM (SELECT l.variant_id, sum(l.quantity)::int AS quantity FROM reservation_lines l JOIN marked m ON m.order_id = l.order_id
                          GROUP BY l.variant_id) s
                    WHERE v.id = s.variant_id RETURNING v.product_id, v.on_hand - v.reserved - s.quantity AS available_before
                )
                SELECT (SELECT count(*)::int FROM marked), coalesce(array_agg(DISTINCT product_id), '{}'),
                       coalesce(array_agg(DISTINCT product_id) FILTER (WHERE available_before > 0), '{}')
                FROM returned
                """, logger: logger)
            var lapsed = 0
            for try await (count, products, inStockBefore) in rows.decode((Int, [UUID], [UUID]).self) {
                lapsed = count
                let stayed = Set(inStockBefore)
                for product in products {
                    try await CatalogCache.notifyProduct(product, listings: .unitsMoved(inStockThroughout: stayed.contains(product)), on: connection, logger: logger)
                }
            }
            return lapsed
        }
    }

    func find(orderID: UUID, logger: Logger) async throws -> ReservationDTO? {
        try await client.withConnection { try await load(orderID, $0, logger: logger) }
    }

    private func load(_ orderID: UUID, _ connection: PostgresConnection, logger: Logger) async throws -> ReservationDTO? {
        let head = try await connection.query("SELECT status, expires_at FROM reservations WHERE order_id = \(orderID)", logger: logger)
        var found: (ReservationStatus, Date)?
        for try await (status, expires) in head.decode((String, Date).self) { found = (ReservationStatus(rawValue: status) ?? .reserved, expires) }
        guard let (status, expires) = found else { return nil }
        let rows = try await connection.query("""
            SELECT variant_id, product_id, product_name, sku, options::text, shop_id, unit_price, currency, quantity
            FROM reservation_lines WHERE order_id = \(orderID) ORDER BY variant_id
            """, logger: logger)
        var lines: [ReservedLineDTO] = []
        for try await (variant, product, name, sku, options, shop, price, currency, quantity)
            in rows.decode((UUID, UUID, String, String, String, UUID, Int, String, Int).self) {
            lines.append(ReservedLineDTO(variantId: variant, productId: product, productName: name, sku: sku, options: decodeJSON(options),
                                         shopId: shop, unitPrice: Money(amount: price, currency: currency), quantity: quantity))
        }
        return ReservationDTO(orderId: orderID, status: status, expiresAt: expires, lines: lines)
    }
}
